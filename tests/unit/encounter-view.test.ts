import { startOfDay, type IntakeCard } from '../../types/encounter';
import type { ConsultationInfo, Message, SessionSummary } from '../../types/message';
import type { RxCard } from '../../types/prescription';
import { doctorQueue, intakeView, patientStep, rxCardStates, rxView, subjectLine, transferredAway, waitingLabel } from '../../src/render/encounter';
import { EMPTY_INTAKE, intakeForm } from '../../src/render/intake-form';
import { EMPTY_DRUG, rxDraft } from '../../src/render/rx-form';

const NOW = Date.UTC(2026, 11, 1, 6, 0); // 14:00 in China
const consultation = (over: Partial<ConsultationInfo> = {}): ConsultationInfo =>
  ({ id: 'c1', status: 'inProgress', doctor: 'd', patient: 'p', patientMessages: 0, ...over }) as ConsultationInfo;
const session = (id: string, c: Partial<ConsultationInfo> | undefined, over: Partial<SessionSummary> = {}): SessionSummary =>
  ({ id, name: id, scene: 'team', to: id, unread: 0, memberReads: {}, ...(c ? { consultation: consultation(c) } : {}), ...over }) as SessionSummary;

describe('patientStep', () => {
  test('identity, then consent, then intake, then none; doctors and closed consultations have none', () => {
    expect(patientStep(consultation(), 'patient')).toBe('identity');
    expect(patientStep(consultation({ identified: true }), 'patient')).toBe('consent');
    const consent = { version: 'v1', acceptedAt: 1, by: 'patient' as const };
    expect(patientStep(consultation({ identified: true, consent }), 'patient')).toBe('intake');
    expect(patientStep(consultation({ consent, intake: { filled: true, allergies: false } }), 'patient')).toBeUndefined();
    expect(patientStep(consultation(), 'doctor')).toBeUndefined();
    expect(patientStep(consultation({ status: 'closed' }), 'patient')).toBeUndefined();
  });
});

test('transferred away: marked by the server (with or without the consultation kept), or handed to another doctor while open', () => {
  const d = { account: 'd', role: 'doctor' as const };
  expect(transferredAway(session('legacy', undefined, { readOnlyUpTo: 3 }), d)).toBe(true);
  expect(transferredAway(session('kept', { doctor: 'd' }, { readOnlyUpTo: 3 }), d)).toBe(true);
  expect(transferredAway(session('live', { doctor: 'other' }), d)).toBe(true);
  expect(transferredAway(session('mine', { doctor: 'd' }), d)).toBe(false);
  expect(transferredAway(session('theirs', { doctor: 'other' }), { account: 'p', role: 'patient' })).toBe(false);
});

describe('doctorQueue', () => {
  const msg = (time: number) => ({ time }) as SessionSummary['lastMsg'];
  const sessions = [
    session('w-new', { status: 'waiting', createdAt: NOW - 60_000 }),
    session('w-old', { status: 'waiting', createdAt: NOW - 3_600_000 }),
    session('p-read', { status: 'inProgress' }, { lastMsg: msg(NOW - 1000) }),
    session('p-unread', { status: 'inProgress' }, { lastMsg: msg(NOW - 50_000), unread: 2 }),
    session('closed-today', { status: 'closed', closedAt: startOfDay(NOW) + 1000 }),
    session('closed-yesterday', { status: 'closed', closedAt: startOfDay(NOW) - 1000 }),
    session('follow-up', { status: 'closed', closedAt: startOfDay(NOW) - 3 * 86_400_000 }, { lastMsg: msg(NOW - 20_000), unread: 1 }),
    session('handed-over', { status: 'inProgress' }, { lastMsg: msg(NOW - 5_000), readOnlyUpTo: 4 }),
    session('王五', { status: 'waiting', createdAt: NOW, subject: { name: '王五', sex: 'male', age: 58, relation: 'self' } }),
  ];

  test('waiting oldest first, in progress unread first (with a 追问 to one closed days ago), only today’s closed ones, none transferred away', () => {
    const q = doctorQueue(sessions, NOW);
    expect(q.waiting.map((s) => s.id)).toEqual(['w-old', 'w-new', '王五']);
    expect(q.inProgress.map((s) => s.id)).toEqual(['follow-up', 'p-unread', 'p-read']);
    expect(q.closedToday.map((s) => s.id)).toEqual(['closed-today']);
  });

  test('search matches the patient’s name', () => {
    const q = doctorQueue(sessions, NOW, '王');
    expect([...q.waiting, ...q.inProgress, ...q.closedToday].map((s) => s.id)).toEqual(['王五']);
  });

  test('the queue names the record only where it is not the account’s own name', () => {
    const child = session('韩梅梅', { subject: { name: '李小明', sex: 'male', age: 3, relation: 'child' } });
    expect(subjectLine(child)).toBe('李小明 · 男 · 3岁');
    expect(subjectLine(sessions[8])).toBe('男 · 58岁');
    expect(subjectLine(sessions[0])).toBeUndefined();
  });

  test('waiting time in minutes, then hours', () => {
    expect(waitingLabel(NOW - 20_000, NOW)).toBe('刚刚发起');
    expect(waitingLabel(NOW - 5 * 60_000, NOW)).toBe('已等待 5 分钟');
    expect(waitingLabel(NOW - 130 * 60_000, NOW)).toBe('已等待 2 小时 10 分钟');
  });
});

describe('cards', () => {
  const intake: IntakeCard = {
    card: 'intake',
    complaint: '头痛',
    duration: '3天',
    symptoms: ['头痛', '头晕'],
    allergies: ['青霉素'],
    medications: [],
    diagnosis: '高血压',
    diagnosedAt: '2025-03 市一医院',
    attachments: [],
    source: 'patient',
    filledAt: NOW,
  };

  test('the intake card lists the form and puts the allergies apart (shown in red)', () => {
    const v = intakeView(intake);
    expect(v.rows.map((r) => r.label)).toEqual(['主诉', '持续', '症状', '用药', '既往诊断']);
    expect(v.rows[4].value).toBe('高血压（2025-03 市一医院）');
    expect(v.allergies).toBe('青霉素');
    expect(intakeView({ ...intake, allergies: [] }).allergies).toBeUndefined();
  });

  test('the intake card’s records open by their kind; one without a link (not signed for this viewer) is only named', () => {
    const attachments = [
      { fileId: 'f1', name: '检查报告.PNG', mime: 'image/png', size: 10, url: '/files/f1?sig=x' },
      { fileId: 'f2', name: '病历', mime: 'application/pdf', size: 10 },
    ];
    expect(intakeView({ ...intake, attachments }).attachments).toEqual([
      { name: '检查报告.PNG', ext: 'png', url: '/files/f1?sig=x' },
      { name: '病历', ext: '' },
    ]);
  });

  test('a prescription card shows its review state and the reason of a rejection', () => {
    const drug = { name: '阿莫西林', category: '处方药', specification: '0.25g×24粒', dosage: '每次0.5g', usage: '口服，每日3次', quantity: 2, unit: '盒' };
    const card: RxCard = {
      card: 'rx',
      rx: { id: 'rx1', consultationId: 'c1', patient: 'p', doctor: 'd', doctorName: '张医生', issuedAt: NOW, diagnosis: '咽炎', drugs: [drug] },
      signature: { alg: 'ed25519', keyId: 'k', value: 'v' },
    };
    expect(rxView(card).stateLabel).toBe('待审核');
    const rejected = rxView(card, { state: 'rejected', reason: '剂量过大' });
    expect([rejected.stateLabel, rejected.reason]).toEqual(['未通过', '剂量过大']);
    expect(rxView(card, { state: 'approved' }).stateLabel).toBe('已通过');
    expect(rejected.rows[1].value).toBe('阿莫西林（0.25g×24粒）× 2盒，每次0.5g，口服，每日3次');
  });

  test('the cards’ states are the previous ones, the same objects, until a review or a correction changes them', () => {
    const drug = { name: '阿莫西林', category: '处方药', specification: '0.25g×24粒', dosage: '每次0.5g', usage: '口服，每日3次', quantity: 2, unit: '盒' };
    const rx = (id: string, corrects?: string) => ({
      type: 'custom' as const,
      attach: {
        card: 'rx',
        rx: { id, consultationId: 'c1', patient: 'p', doctor: 'd', doctorName: '张医生', issuedAt: NOW, diagnosis: '咽炎', drugs: [drug], ...(corrects ? { corrects } : {}) },
      },
    });
    const review = (id: string, state: string, reason?: string) => ({ type: 'notification' as const, attach: { prescription: { id, state, by: 'ph', ...(reason ? { reason } : {}) } } });
    const text = { type: 'text' as const, attach: undefined };
    const first = rxCardStates([rx('rx1'), text]);
    expect([...first.rxStates]).toEqual([['rx1', { state: 'pending' }]]);
    expect(rxCardStates([rx('rx1'), text, text], first)).toBe(first);
    const rejected = rxCardStates([rx('rx1'), review('rx1', 'rejected', '剂量过大')], first);
    expect(rejected.rxStates.get('rx1')).toEqual({ state: 'rejected', reason: '剂量过大' });
    expect(rejected.corrected).toBe(first.corrected);
    const corrected = rxCardStates([rx('rx1'), review('rx1', 'rejected', '剂量过大'), rx('rx2', 'rx1')] as Pick<Message, 'type' | 'attach'>[], rejected);
    expect([...corrected.corrected]).toEqual(['rx1']);
    expect(corrected.rxStates).not.toBe(rejected.rxStates);
    expect(corrected.rxStates.get('rx1')).toEqual(rejected.rxStates.get('rx1'));
  });
});

describe('forms', () => {
  test('the intake asks for the complaint, duration, earlier diagnosis and allergies (or none)', () => {
    expect(intakeForm(EMPTY_INTAKE)).toMatch('主诉');
    const filled = { ...EMPTY_INTAKE, complaint: '头痛', duration: '3天', diagnosis: '高血压' };
    expect(intakeForm(filled)).toMatch('过敏');
    expect(intakeForm({ ...filled, allergies: '青霉素，头孢、 ' })).toMatchObject({ allergies: ['青霉素', '头孢'], medications: [] });
    expect(intakeForm({ ...filled, noAllergies: true, allergies: '青霉素' })).toMatchObject({ allergies: [] });
  });

  test('a prescription needs a diagnosis and complete drugs with a whole quantity', () => {
    const drug = { ...EMPTY_DRUG, name: '阿莫西林', specification: '0.25g', dosage: '0.5g', usage: '口服' };
    expect(rxDraft('', [drug], '')).toMatch('诊断');
    expect(rxDraft('咽炎', [{ ...drug, name: '' }], '')).toMatch('第 1 种');
    expect(rxDraft('咽炎', [{ ...drug, quantity: '1.5' }], '')).toMatch('数量');
    expect(rxDraft('咽炎', [drug], ' ', 'rx0')).toEqual({ diagnosis: '咽炎', drugs: [{ ...drug, quantity: 1 }], corrects: 'rx0' });
  });
});
