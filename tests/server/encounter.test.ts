/**
 * The encounter on a real server and SQLite file (issue 17): the hospital opens a consultation with the
 * patient's records, the patient confirms who it is for (masked), agrees to the versioned consent,
 * fills the intake; the doctor sees what care needs; no patient message before consent.
 */
import type { EncounterView, IdentityRecord, IntakeForm } from '../../types/encounter';
import type { Account, ConsultationInfo } from '../../types/message';
import type { ConsultationRecord, ServerFrame } from '../../types/protocol';
import { RECORD_PATH } from '../../types/protocol';
import { API_CLIENT } from '../../server/audit';
import { DEMO, seedDemo } from '../../server/demo';
import { pdf } from '../helpers/fixtures';
import { serverPerTest } from '../helpers/consultation';
import { postJson } from '../helpers/post-json';
import { ADMIN_API_KEY, outcome, startTestServer } from '../helpers/server';
import { uploadAs } from '../helpers/upload';

const CONSENT = { version: 'v9', text: '互联网诊疗知情同意书（测试）' };
const doctor: Account = { account: 'doc-enc', name: '赵医生', role: 'doctor' };
const patient: Account = { account: 'pat-enc', name: '李秀英', role: 'patient' };

const self: IdentityRecord = { name: '李秀英', idNumber: '110101198001011234', sex: 'female', birthDate: '1980-01-01', relation: 'self' };
const child: IdentityRecord = {
  name: '王小明',
  idNumber: '110101202401015678',
  sex: 'male',
  birthDate: '2024-01-01',
  relation: 'child',
  guardian: { name: '李秀英', idNumber: '110101198001011234' },
};
const form: IntakeForm = {
  complaint: '血压控制不佳，头晕一周',
  duration: '一周',
  symptoms: ['头晕', '血压高'],
  allergies: ['青霉素'],
  medications: ['氨氯地平 5mg 每日一次'],
  diagnosis: '原发性高血压',
  diagnosedAt: '2024-03 市第一医院',
  attachments: [],
};


const ctx = serverPerTest(() => startTestServer({ encounter: { consent: CONSENT, followUp: { messages: 2, days: 1 } } }));
const { login } = ctx;
const admin = { authorization: `Bearer ${ADMIN_API_KEY}` };
const create = (id: string, over: Record<string, unknown> = {}) =>
  postJson(
    `${ctx.server.url}/api/consultations`,
    {
      id,
      patient: { account: patient.account, name: patient.name },
      doctor: { account: doctor.account, name: doctor.name },
      doctorIdentity: { title: '主任医师', department: '心内科', licence: '110110000012345' },
      ...over,
    },
    admin,
  );

let n = 0;
const text = (id: string, body = '医生您好') => ({ msg: { scene: 'team' as const, to: id, type: 'text' as const, body, idClient: `enc-${++n}-${Date.now()}` } });

test('no patient message before consent; the patient confirms a masked record, agrees to the current version, the doctor is told', async () => {
  expect((await create('e1', { identities: [self, child] })).status).toBe(201);
  const p = await login(patient);
  const d = await login(doctor);
  expect(await outcome(p.request('send', text('e1')))).toMatch(/^consentRequired/);
  // Typing is no message, but a patient without consent has nothing to type yet either.
  expect(await outcome(p.request('typing', { sessionId: 'team-e1' }))).toMatch(/^consentRequired/);

  const seen = await p.request('encounter', { sessionId: 'team-e1' });
  expect(seen.encounter.consent).toEqual(CONSENT);
  expect(seen.encounter.candidates).toEqual([
    { name: '李**', idNumber: '110***********1234', sex: 'female', age: expect.any(Number), relation: 'self' },
    { name: '王**', idNumber: '110***********5678', sex: 'male', age: expect.any(Number), relation: 'child', guardian: { name: '李**', idNumber: '110***********1234' } },
  ]);
  expect(JSON.stringify(seen)).not.toContain('110101198001011234');
  expect(seen.encounter.doctor).toEqual({ name: '赵医生', title: '主任医师', department: '心内科', licence: '110110000012345' });
  expect(seen.consultation).toMatchObject({ identified: false, intake: { filled: false, allergies: false }, createdAt: expect.any(Number) });

  expect(await outcome(p.request('consent', { sessionId: 'team-e1', version: 'v9' }))).toMatch(/^identityRequired/);
  expect(await outcome(d.request('identity', { sessionId: 'team-e1', candidate: 1 }))).toMatch(/^forbidden/);
  expect(await outcome(p.request('identity', { sessionId: 'team-e1', candidate: 5 }))).toMatch(/^badFrame: candidate/);
  const confirmed = await p.request('identity', { sessionId: 'team-e1', candidate: 1 });
  expect(confirmed.encounter.identity).toMatchObject({ name: '王**', relation: 'child', guardian: { name: '李**' } });
  expect(confirmed.encounter.candidates).toBeUndefined();
  expect(await outcome(p.request('identity', { sessionId: 'team-e1', candidate: 0 }))).toMatch(/^invalidTransition/);

  expect(await outcome(p.request('consent', { sessionId: 'team-e1', version: 'v8' }))).toMatch(/^badFrame: version: the consent text is now version v9/);
  expect(await outcome(d.request('consent', { sessionId: 'team-e1', version: 'v9' }))).toMatch(/^forbidden/);
  const told = d.waitFor((f: ServerFrame) => f.type === 'msg' && f.msg.attach?.consent !== undefined);
  const given = await p.request('consent', { sessionId: 'team-e1', version: 'v9' });
  expect(given.consultation.consent).toEqual({ version: 'v9', acceptedAt: expect.any(Number), by: 'patient' });
  expect(given.notice).toMatchObject({ type: 'notification', attach: { consent: { version: 'v9', by: patient.account } } });
  await told;
  expect(await outcome(p.request('consent', { sessionId: 'team-e1', version: 'v9' }))).toMatch(/^invalidTransition/);
  expect((await p.request('send', text('e1'))).seq).toBeGreaterThan(0);

  // The doctor sees name, age and sex, never the ID number; the sessions list carries the same.
  const theirs = await d.request('encounter', { sessionId: 'team-e1' });
  expect(theirs.encounter.identity).toEqual({ name: '王小明', sex: 'male', age: expect.any(Number), relation: 'child', guardian: { name: '李秀英' } });
  const { sessions } = await d.request('sync', { cursors: {} });
  expect(sessions[0].consultation?.subject).toMatchObject({ name: '王小明', sex: 'male' });
  expect(JSON.stringify([theirs, sessions])).not.toMatch(/110101/);

  // Audited by ids and versions only.
  const audit = await ctx.server.storage.auditRecords(0, 100);
  expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['encounter.identity', 'encounter.consent']));
  expect(audit.find((r) => r.action === 'encounter.consent')?.detail).toBe(JSON.stringify({ version: 'v9' }));
  expect(JSON.stringify(audit)).not.toMatch(/李秀英|王小明|110101/);
});

test('the hospital API refuses a child under 6 without a guardian, and identity with identities', async () => {
  const { guardian: _g, ...alone } = child;
  const refused = await create('e2', { identity: alone });
  expect(refused.status).toBe(400);
  expect(refused.body.error.message).toMatch(/identity: a child under 6 is seen online only with a guardian/);
  expect((await create('e2', { identity: self, identities: [self] })).status).toBe(400);
  expect((await create('e2', { identity: { ...self, idNumber: '12' } })).body.error.message).toMatch(/identity.idNumber/);
  expect((await create('e2', { identity: { ...self, birthDate: '2999-01-01' } })).body.error.message).toMatch(/identity.birthDate/);
});

test("the hospital API refuses an account named as the audit log's own actors (api, system), whose records it would pass for", async () => {
  for (const name of ['api', 'system']) {
    const refused = await create(`e-${name}`, { patient: { account: name, name: '某人' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(new RegExp(`patient.account: is reserved`));
  }
  expect((await create('e-api-doctor', { doctor: { account: 'api', name: '某医生' } })).status).toBe(400);
  expect((await ctx.server.storage.consultation('e-api'))).toBeUndefined();
});

test('consent and intake recorded at the hospital: the card is the first message, the patient writes at once, the quota is not touched', async () => {
  const created = await create('e3', { identity: self, consent: { version: 'paper-3', acceptedAt: 1_700_000_000_000 }, intake: form, maxPatientMessages: 1 });
  expect(created.status).toBe(201);
  expect(created.body.consultation).toMatchObject({ consent: { version: 'paper-3', by: 'hospital' }, intake: { filled: true, allergies: true }, patientMessages: 0 });
  const p = await login(patient);
  const { msgs } = await p.request('history', { sessionId: 'team-e3', limit: 10 });
  expect(msgs[0]).toMatchObject({ seq: 1, type: 'custom', from: patient.account, attach: { card: 'intake', source: 'hospital', allergies: ['青霉素'], diagnosis: '原发性高血压' } });
  await p.request('send', text('e3'));
  expect(await outcome(p.request('send', text('e3')))).toMatch(/^quotaExceeded/);
  expect(await outcome(p.request('intake', { sessionId: 'team-e3', form }))).toMatch(/^invalidTransition/);
  expect((await create('e4', { intake: { ...form, attachments: ['f1'] } })).body.error.message).toMatch(/intake.attachments/);
});

test('the patient fills the intake once after consent: the card (with their records) goes to the doctor, the panel flags allergies', async () => {
  await create('e5', { identity: self });
  const p = await login(patient);
  const d = await login(doctor);
  expect(await outcome(p.request('intake', { sessionId: 'team-e5', form }))).toMatch(/^consentRequired/);
  await p.request('consent', { sessionId: 'team-e5', version: 'v9' });
  expect(await outcome(p.request('intake', { sessionId: 'team-e5', form: { ...form, complaint: ' ' } }))).toMatch(/^badFrame: form.complaint/);
  expect(await outcome(p.request('intake', { sessionId: 'team-e5', form: { ...form, symptoms: Array(21).fill('咳嗽') } }))).toMatch(/^badFrame: form.symptoms/);
  expect(await outcome(d.request('intake', { sessionId: 'team-e5', form }))).toMatch(/^forbidden/);
  const theirs = await uploadAs(ctx.server, doctor, 'file', '报告.pdf', pdf());
  expect(await outcome(p.request('intake', { sessionId: 'team-e5', form: { ...form, attachments: [theirs.body.fileId] } }))).toMatch(/^invalidMessage/);
  const report = await uploadAs(ctx.server, patient, 'file', '检验报告.pdf', pdf());
  const arrives = d.waitFor((f: ServerFrame) => f.type === 'msg' && f.msg.attach?.card === 'intake');
  const filled = await p.request('intake', { sessionId: 'team-e5', form: { ...form, attachments: [report.body.fileId] } });
  expect(filled.consultation.intake).toEqual({ filled: true, allergies: true });
  const card = (await arrives) as Extract<ServerFrame, { type: 'msg' }>;
  expect(card.msg.attach).toMatchObject({ card: 'intake', source: 'patient', attachments: [{ fileId: report.body.fileId, name: '检验报告.pdf', url: expect.stringContaining('/api/files/') }] });
  const status = async (url: string) => (await fetch(`${ctx.server.url}${url}`)).status;
  const cardUrl = (card.msg.attach as { attachments: Array<{ url: string }> }).attachments[0].url;
  expect(await status(cardUrl)).toBe(200);
  // Signed for the doctor and the card's message, as any file of the chat: not a URL anyone may pass on.
  expect(await status(cardUrl.replace(`a=${doctor.account}`, `a=${patient.account}x`))).toBe(403);
  expect(await status(cardUrl.replace(/&c=.*$/, ''))).toBe(403);
  // The uploads it names are kept by the orphan sweep.
  expect(await ctx.server.storage.removeOrphanFiles(Date.now() + 1)).not.toContain(report.body.fileId);
  expect(await outcome(p.request('intake', { sessionId: 'team-e5', form }))).toMatch(/^invalidTransition/);
  const panel = (await d.request('encounter', { sessionId: 'team-e5' })).encounter as EncounterView;
  expect(panel.intake).toMatchObject({ allergies: ['青霉素'], medications: ['氨氯地平 5mg 每日一次'] });
  const panelUrl = panel.intake?.attachments[0].url as string;
  expect(panelUrl).toContain(`a=${doctor.account}`);
  expect(await status(panelUrl)).toBe(200);
  // In the hospital's record, the card's records are signed for the API client, and open with its key only.
  const record = (await (await fetch(`${ctx.server.url}${RECORD_PATH}?id=e5`, { headers: admin })).json()) as ConsultationRecord;
  const recordUrl = (record.cards.find((c) => c.card === 'intake')?.attach as { attachments: Array<{ url: string }> }).attachments[0].url;
  expect(new URL(recordUrl, ctx.server.url).searchParams.get('k')).toBe(API_CLIENT);
  expect(await status(recordUrl)).toBe(401);
  expect((await fetch(`${ctx.server.url}${recordUrl}`, { headers: admin })).status).toBe(200);
  const audit = await ctx.server.storage.auditRecords(0, 100);
  expect(JSON.stringify(audit)).not.toMatch(/青霉素|血压|头晕/);
});

test('the queue has the times: created, accepted, closed', async () => {
  await create('e6', { identity: self, consent: { version: 'paper', acceptedAt: 1 } });
  const d = await login(doctor);
  const accepted = await d.request('consultation', { sessionId: 'team-e6', action: 'accept' });
  expect(accepted.consultation.acceptedAt).toEqual(expect.any(Number));
  const closed = (await d.request('consultation', { sessionId: 'team-e6', action: 'close' })).consultation as ConsultationInfo;
  expect(closed.closedAt).toBeGreaterThanOrEqual(closed.acceptedAt as number);
  expect(closed.createdAt).toBeLessThanOrEqual(closed.acceptedAt as number);
});

test("the demo's consultation (npm start) has the hospital's consent and identity, and the doctor's identity", async () => {
  await seedDemo(ctx.server.storage);
  await seedDemo(ctx.server.storage);
  const p = await login(DEMO.patient);
  const sessionId = `team-${DEMO.consultationId}`;
  const { encounter, consultation } = await p.request('encounter', { sessionId });
  expect(consultation.consent).toMatchObject({ version: 'demo', by: 'hospital' });
  expect(encounter.identity).toMatchObject({ name: '李**', idNumber: '110***********1234' });
  expect(encounter.doctor).toMatchObject({ name: DEMO.doctor.name, title: '主治医师' });
  expect((await p.request('send', text(DEMO.consultationId))).seq).toBe(1);
});

test('a hospital intake without consent is stored at creation; the patient still consents before writing', async () => {
  expect((await create('e7', { intake: form })).status).toBe(201);
  const p = await login(patient);
  expect(await outcome(p.request('send', text('e7')))).toMatch(/^consentRequired/);
  await p.request('consent', { sessionId: 'team-e7', version: 'v9' });
  expect((await p.request('send', text('e7'))).seq).toBe(3);
});

test("another patient reaches nothing of a consultation not theirs; the hospital's record needs the admin key", async () => {
  await create('e9', { identity: self, intake: form });
  const other: Account = { account: 'pat-other', name: '周先生', role: 'patient' };
  await ctx.server.storage.upsertAccount(other);
  const o = await login(other);
  const session = 'team-e9';
  for (const r of [
    o.request('encounter', { sessionId: session }),
    o.request('identity', { sessionId: session, candidate: 0 }),
    o.request('consent', { sessionId: session, version: 'v9' }),
    o.request('intake', { sessionId: session, form }),
    o.request('rate', { sessionId: session, rating: { stars: 5, tags: [] } }),
  ]) {
    expect(await outcome(r)).toMatch(/^forbidden/);
  }
  const record = (authorization?: string) =>
    fetch(`${ctx.server.url}${RECORD_PATH}?id=e9`, { headers: authorization ? { authorization } : {} }).then((r) => r.status);
  expect(await record()).toBe(401);
  expect(await record('Bearer not-the-admin-key-not-the-admin-key')).toBe(401);
  expect(await record(admin.authorization)).toBe(200);
});
