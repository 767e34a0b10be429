/** The pure rules of prescriptions and transfer (types/prescription.ts, types/transfer.ts, REQUEST_ROLES). */
import type { Message } from '../../types/message';
import type { PrescriptionContent } from '../../types/prescription';
import {
  canonicalPrescription,
  DEFAULT_FORBIDDEN_CATEGORIES,
  forbiddenDrugs,
  issueRefusal,
  mayCorrect,
  mayRenew,
  prescriptionChange,
  prescriptionStates,
} from '../../types/prescription';
import { mayRequest, REQUEST_ROLES } from '../../types/protocol';
import { consultationAccess, transferRefusal } from '../../types/transfer';

const content: PrescriptionContent = {
  id: 'rx-1',
  consultationId: 'c1',
  patient: 'p',
  doctor: 'd',
  doctorName: '张医生',
  diagnosis: '急性咽炎',
  drugs: [{ name: '阿莫西林胶囊', category: '处方药', specification: '0.25g×24粒', dosage: '0.5g', usage: '口服 每日3次', quantity: 2, unit: '盒' }],
  issuedAt: 1,
};

test('the signed bytes do not depend on key order or absent fields, and change with any value', () => {
  const reversed = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
  const shuffled = { ...reversed(content), drugs: content.drugs.map(reversed), note: undefined };
  expect(Object.keys(shuffled)[0]).not.toBe(Object.keys(content)[0]);
  expect(canonicalPrescription(shuffled)).toBe(canonicalPrescription(content));
  expect(canonicalPrescription(content)).not.toMatch(/\s"|": /);
  expect(canonicalPrescription({ ...content, drugs: [{ ...content.drugs[0], quantity: 3 }] })).not.toBe(canonicalPrescription(content));
});

test('banned categories match by containment, and the default list follows 第十九条', () => {
  expect(forbiddenDrugs([{ category: '处方药' }, { category: '第一类精神药品' }, { category: '麻醉药品' }], DEFAULT_FORBIDDEN_CATEGORIES)).toEqual([1, 2]);
  expect(forbiddenDrugs([{ category: '非处方药' }], DEFAULT_FORBIDDEN_CATEGORIES)).toEqual([]);
  expect(forbiddenDrugs([{ category: '非处方药' }], ['处方药'])).toEqual([0]);
});

test('who issues, corrects and renews', () => {
  const doctor = { account: 'd', role: 'doctor' as const };
  expect(issueRefusal(doctor, { doctor: 'd', status: 'inProgress' })).toBeUndefined();
  expect(issueRefusal(doctor, { doctor: 'd', status: 'waiting' })).toBe('notAccepted');
  expect(issueRefusal(doctor, { doctor: 'd', status: 'closed' })).toBe('closed');
  expect(issueRefusal(doctor, { doctor: 'other', status: 'inProgress' })).toBe('notDoctor');
  expect(issueRefusal({ account: 'd', role: 'patient' }, { doctor: 'd', status: 'inProgress' })).toBe('notDoctor');
  expect(mayCorrect({ state: 'rejected', rx: content }, 'c1')).toBe(true);
  expect(mayCorrect({ state: 'rejected', correctedBy: 'rx-2', rx: content }, 'c1')).toBe(false);
  expect(mayCorrect({ state: 'approved', rx: content }, 'c1')).toBe(false);
  expect(mayCorrect({ state: 'rejected', rx: content }, 'c2')).toBe(false);
  expect(mayRenew({ account: 'p', role: 'patient' }, { state: 'approved', rx: content })).toBe(true);
  expect(mayRenew({ account: 'p', role: 'patient' }, { state: 'pending', rx: content })).toBe(false);
  expect(mayRenew({ account: 'q', role: 'patient' }, { state: 'approved', rx: content })).toBe(false);
});

test('a card shows its latest stored state; notices that are not prescription changes are ignored', () => {
  const card = { type: 'custom', attach: { card: 'rx', rx: content } } as Pick<Message, 'type' | 'attach'>;
  const change = (state: string, reason?: string) => ({ type: 'notification' as const, attach: { prescription: { id: 'rx-1', state, by: 'ph', ...(reason ? { reason } : {}) } } });
  expect(prescriptionStates([card]).get('rx-1')).toEqual({ state: 'pending' });
  expect(prescriptionStates([card, change('rejected', '剂量')]).get('rx-1')).toEqual({ state: 'rejected', reason: '剂量' });
  expect(prescriptionChange(change('lost'))).toBeUndefined();
  expect(prescriptionChange({ type: 'text', attach: change('approved').attach })).toBeUndefined();
});

test('after a transfer: the patient and the new doctor read and write; the old doctor reads up to the transfer', () => {
  const c = { patient: 'p', doctor: 'd2' };
  const transfers = [{ from: 'd1', atSeq: 5 }];
  expect(consultationAccess(c, transfers, 'd2')).toEqual({ read: 'all', write: true });
  expect(consultationAccess(c, transfers, 'p')).toEqual({ read: 'all', write: true });
  expect(consultationAccess(c, transfers, 'd1')).toEqual({ read: 'upTo', upToSeq: 5, write: false });
  expect(consultationAccess(c, transfers, 'x')).toEqual({ read: 'none', write: false });
  const doctor = { account: 'd2', role: 'doctor' };
  expect(transferRefusal(doctor, { ...c, status: 'inProgress' }, { account: 'd3', role: 'doctor' })).toBeUndefined();
  expect(transferRefusal(doctor, { ...c, status: 'inProgress' }, { account: 'p', role: 'patient' })).toBe('notADoctor');
  expect(transferRefusal(doctor, { ...c, status: 'inProgress' }, undefined)).toBe('notADoctor');
  expect(transferRefusal(doctor, { ...c, status: 'inProgress' }, { account: 'd2', role: 'doctor' })).toBe('sameDoctor');
  expect(transferRefusal(doctor, { ...c, status: 'closed' }, { account: 'd3', role: 'doctor' })).toBe('closed');
  expect(transferRefusal({ account: 'd1', role: 'doctor' }, { ...c, status: 'inProgress' }, { account: 'd3', role: 'doctor' })).toBe('notDoctor');
});

test('a pharmacist may only review: every request type has its roles', () => {
  const allowed = (Object.keys(REQUEST_ROLES) as Array<keyof typeof REQUEST_ROLES>).filter((t) => mayRequest('pharmacist', t)).sort();
  expect(allowed).toEqual(['auth', 'ping', 'prescriptions', 'renew', 'review']);
  expect(mayRequest('doctor', 'review')).toBe(false);
  expect(mayRequest('patient', 'prescribe')).toBe(false);
});
