import { consultationView } from '../../src/render/consultation';
import type { ConsultationInfo } from '../../types/message';

const base: ConsultationInfo = { id: 'c1', status: 'inProgress', patient: 'p', doctor: 'd', patientMessages: 0, consent: { version: 'v1', acceptedAt: 1, by: 'patient' } };
const at = (over: Partial<ConsultationInfo>): ConsultationInfo => ({ ...base, ...over });
const NOW = new Date(2026, 10, 23, 10, 0).getTime();

test('waiting: the doctor accepts before replying; the patient may describe and cancel', () => {
  const doctor = consultationView(at({ status: 'waiting' }), 'doctor', NOW);
  expect(doctor.closedReason).toContain('接诊后');
  expect(doctor.actions.map((a) => a.action)).toEqual(['accept', 'close']);
  const patient = consultationView(at({ status: 'waiting' }), 'patient', NOW);
  expect(patient.closedReason).toBeUndefined();
  expect(patient.actions.map((a) => a.action)).toEqual(['cancel']);
  expect(patient.hint).toBe('等待医生接诊，可先描述病情');
});

test('in progress: the doctor can close; the patient sees quota and end time', () => {
  expect(consultationView(base, 'doctor', NOW)).toEqual({ status: '问诊中', actions: [expect.objectContaining({ action: 'close' })] });
  const v = consultationView(at({ maxPatientMessages: 20, patientMessages: 5, endsAt: NOW + 3_600_000 }), 'patient', NOW);
  expect(v).toEqual({ status: '问诊中', actions: [], hint: '还可发送 15 条，2026年11月23日 11:00 结束' });
});

test('closed, cancelled, out of quota, out of time: the input closes with the reason', () => {
  expect(consultationView(at({ status: 'closed' }), 'patient', NOW)).toMatchObject({ status: '已结束', closedReason: expect.stringContaining('已结束'), actions: [] });
  expect(consultationView(at({ status: 'closed' }), 'doctor', NOW).actions).toEqual([]);
  expect(consultationView(at({ status: 'cancelled' }), 'doctor', NOW).closedReason).toBe('本次问诊已取消');
  expect(consultationView(at({ maxPatientMessages: 3, patientMessages: 3 }), 'patient', NOW).closedReason).toContain('用完');
  expect(consultationView(at({ maxPatientMessages: 3, patientMessages: 3 }), 'doctor', NOW).closedReason).toBeUndefined();
  expect(consultationView(at({ consent: undefined }), 'patient', NOW).closedReason).toContain('知情同意书');
  expect(consultationView(at({ consent: undefined }), 'doctor', NOW).closedReason).toBeUndefined();
  const late = consultationView(at({ endsAt: NOW - 1 }), 'doctor', NOW);
  expect(late.closedReason).toContain('时限');
  expect(late.actions.map((a) => a.action)).toEqual(['close']);
});
