/** The encounter's pure rules (types/encounter.ts, types/consultation.ts), as server and pages use them. */
import { closedReason } from '../../types/consultation';
import type { QuickReply } from '../../types/encounter';
import { ageAt, applyQuickReplyOp, followUpsLeft, maskIdNumber, maskIdentity, maskName, needsGuardian, rateRefusal } from '../../types/encounter';
import type { ConsultationInfo } from '../../types/message';

const NOW = Date.UTC(2026, 11, 1, 4, 0);
const DAY = 86_400_000;

test('names keep their first character, ID numbers the region and the last four', () => {
  expect(maskName('李四')).toBe('李*');
  expect(maskName('欧阳娜娜')).toBe('欧***');
  expect(maskName('李')).toBe('*');
  expect(maskIdNumber('110101198001011234')).toBe('110***********1234');
  expect(maskIdNumber('11010119800101123X')).toBe('110***********123X');
  expect(maskIdNumber('E1234567')).toBe('E******7');
  expect(maskIdNumber('1234')).toBe('****');
});

test("ages in full years on China's calendar day; under 6 needs a guardian", () => {
  expect(ageAt('2020-12-01', NOW)).toBe(6);
  expect(ageAt('2020-12-02', NOW)).toBe(5);
  // 00:30 on Dec 1 in Beijing is still Nov 30 in UTC: the birthday has come in China.
  expect(ageAt('2020-12-01', Date.UTC(2026, 10, 30, 16, 30))).toBe(6);
  expect(ageAt('2020-12-01', Date.UTC(2026, 10, 30, 15, 30))).toBe(5);
  expect(needsGuardian({ birthDate: '2021-06-01' }, NOW)).toBe(true);
  expect(needsGuardian({ birthDate: '2021-06-01', guardian: { name: '父', idNumber: '110101198001011234' } }, NOW)).toBe(false);
  expect(needsGuardian({ birthDate: '2000-06-01' }, NOW)).toBe(false);
  const masked = maskIdentity({ name: '王小明', idNumber: '110101202106015678', sex: 'male', birthDate: '2021-06-01', relation: 'child', guardian: { name: '王大明', idNumber: '110101198001011234' } }, NOW);
  expect(masked).toEqual({ name: '王**', idNumber: '110***********5678', sex: 'male', age: 5, relation: 'child', guardian: { name: '王**', idNumber: '110***********1234' } });
});

const c: ConsultationInfo = { id: 'c', status: 'inProgress', patient: 'p', doctor: 'd', patientMessages: 0 };

test('consent before the patient writes; the doctor is not held by it', () => {
  expect(closedReason(c, 'p', NOW)).toBe('consentRequired');
  expect(closedReason(c, 'p', NOW, 'signal')).toBe('consentRequired');
  expect(closedReason(c, 'd', NOW)).toBeUndefined();
  expect(closedReason({ ...c, consent: { version: 'v', acceptedAt: 1, by: 'patient' } }, 'p', NOW)).toBeUndefined();
  // A closed consultation says closed, consent or not.
  expect(closedReason({ ...c, status: 'closed' }, 'p', NOW)).toBe('closed');
});

test('follow-ups: N patient messages within D days of closing; the doctor answers in the window; signals use none', () => {
  const closed = { ...c, status: 'closed' as const, consent: { version: 'v', acceptedAt: 1, by: 'patient' as const }, closedAt: NOW, followUp: { messages: 2, days: 3 }, followUps: 1 };
  expect(closedReason(closed, 'p', NOW + DAY)).toBeUndefined();
  expect(followUpsLeft(closed, NOW + DAY)).toBe(1);
  expect(closedReason({ ...closed, followUps: 2 }, 'p', NOW + DAY)).toBe('closed');
  expect(closedReason({ ...closed, followUps: 2 }, 'p', NOW + DAY, 'signal')).toBeUndefined();
  expect(closedReason({ ...closed, followUps: 2 }, 'd', NOW + DAY)).toBeUndefined();
  expect(closedReason(closed, 'p', NOW + 3 * DAY + 1)).toBe('closed');
  expect(closedReason(closed, 'd', NOW + 3 * DAY + 1)).toBe('closed');
  expect(followUpsLeft(closed, NOW + 3 * DAY + 1)).toBe(0);
  expect(closedReason({ ...closed, followUp: undefined }, 'p', NOW)).toBe('closed');
  // The visit's quota and time limit are over once it is closed: follow-ups are counted apart.
  expect(closedReason({ ...closed, maxPatientMessages: 1, patientMessages: 1, endsAt: NOW - 1 }, 'p', NOW + DAY)).toBeUndefined();
});

test('only the patient rates, once, after closing', () => {
  expect(rateRefusal({ status: 'closed', patient: 'p' }, 'd', false)).toBe('notPatient');
  expect(rateRefusal({ status: 'inProgress', patient: 'p' }, 'p', false)).toBe('notClosed');
  expect(rateRefusal({ status: 'closed', patient: 'p' }, 'p', true)).toBe('rated');
  expect(rateRefusal({ status: 'closed', patient: 'p' }, 'p', false)).toBeUndefined();
});

test('quick replies: add at an index, edit in place or move, delete, reorder; each refusal says why', () => {
  const list: QuickReply[] = [
    { id: 'a', text: '您好' },
    { id: 'b', text: '请按时服药' },
  ];
  expect(applyQuickReplyOp(list, { op: 'put', reply: { text: ' 多喝水 ' }, index: 0 }, 'n')).toEqual([{ id: 'n', text: '多喝水' }, ...list]);
  expect(applyQuickReplyOp(list, { op: 'put', reply: { id: 'a', text: '您好！' } }, 'n')).toEqual([{ id: 'a', text: '您好！' }, list[1]]);
  expect(applyQuickReplyOp(list, { op: 'put', reply: { id: 'a', text: '您好' }, index: 5 }, 'n')).toEqual([list[1], list[0]]);
  expect(applyQuickReplyOp(list, { op: 'delete', replyId: 'a' }, 'n')).toEqual([list[1]]);
  expect(applyQuickReplyOp(list, { op: 'order', ids: ['b', 'a'] }, 'n')).toEqual([list[1], list[0]]);
  expect(applyQuickReplyOp(list, { op: 'order', ids: ['b', 'b'] }, 'n')).toMatch(/各一次/);
  expect(applyQuickReplyOp(list, { op: 'delete', replyId: 'z' }, 'n')).toMatch(/没有/);
  expect(applyQuickReplyOp(list, { op: 'put', reply: { text: '' } }, 'n')).toMatch(/不能为空/);
  const full = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, text: `${i}` }));
  expect(applyQuickReplyOp(full, { op: 'put', reply: { text: '再一条' } }, 'n')).toMatch(/最多 50 条/);
  expect(applyQuickReplyOp(full, { op: 'put', reply: { id: 'r1', text: '改一条' } }, 'n')).toHaveLength(50);
});
