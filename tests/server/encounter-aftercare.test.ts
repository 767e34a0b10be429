/**
 * After the consultation and around it, on a real server and SQLite file (issue 17): the rating (once,
 * after closing, by the patient), follow-up questions (N within D days, counted by the server, also
 * when sent at once), the doctor's quick replies, and the hospital's record and ratings API.
 */
import type { Account } from '../../types/message';
import { RATINGS_PATH, RECORD_PATH } from '../../types/protocol';
import type { ConsultationRecord } from '../../types/protocol';
import { serverPerTest } from '../helpers/consultation';
import { postJson } from '../helpers/post-json';
import { ADMIN_API_KEY, outcome, type RequestError, startTestServer } from '../helpers/server';

const doctor: Account = { account: 'doc-after', name: '孙医生', role: 'doctor' };
const other: Account = { account: 'doc-other', name: '周医生', role: 'doctor' };
const patient: Account = { account: 'pat-after', name: '吴先生', role: 'patient' };
const DAY = 86_400_000;


let clock = Date.now();
const ctx = serverPerTest(() => {
  clock = Date.now();
  return startTestServer({ now: () => clock, encounter: { consent: { version: 'v1', text: '同意书' }, followUp: { messages: 2, days: 1 } } });
});
const { login } = ctx;
const admin = { authorization: `Bearer ${ADMIN_API_KEY}` };
const create = (id: string, who: Account = doctor) =>
  postJson(
    `${ctx.server.url}/api/consultations`,
    { id, patient: { account: patient.account, name: patient.name }, doctor: { account: who.account, name: who.name }, consent: { version: 'paper', acceptedAt: 1 } },
    admin,
  );

let n = 0;
const text = (id: string, body = '请问') => ({ msg: { scene: 'team' as const, to: id, type: 'text' as const, body, idClient: `after-${++n}-${Date.now()}` } });

async function closedConsultation(id: string, who: Account = doctor) {
  expect((await create(id, who)).status).toBe(201);
  const d = await login(who);
  await d.request('consultation', { sessionId: `team-${id}`, action: 'accept' });
  await d.request('consultation', { sessionId: `team-${id}`, action: 'close' });
  return d;
}

const get = async (path: string, headers: Record<string, string> = admin) => {
  const res = await fetch(`${ctx.server.url}${path}`, { headers });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as any };
};

test('the patient rates once, only after closing; the doctor sees the average; the hospital pages the ratings', async () => {
  expect((await create('r1')).status).toBe(201);
  const p = await login(patient);
  const d = await login(doctor);
  const rating = { stars: 5, tags: ['回复及时' as const, '解答清楚' as const], comment: '很耐心' };
  expect(await outcome(p.request('rate', { sessionId: 'team-r1', rating }))).toMatch(/^invalidTransition/);
  await d.request('consultation', { sessionId: 'team-r1', action: 'accept' });
  await d.request('consultation', { sessionId: 'team-r1', action: 'close' });
  expect(await outcome(d.request('rate', { sessionId: 'team-r1', rating }))).toMatch(/^forbidden/);
  expect(await outcome(p.request('rate', { sessionId: 'team-r1', rating: { ...rating, stars: 6 } }))).toMatch(/^badFrame: rating.stars/);
  expect(await outcome(p.request('rate', { sessionId: 'team-r1', rating: { stars: 4, tags: ['随便写' as never] } }))).toMatch(/^badFrame: rating.tags/);
  expect(await outcome(p.request('rate', { sessionId: 'team-r1', rating: { stars: 4, tags: [], comment: '长'.repeat(201) } }))).toMatch(/^badFrame: rating.comment/);
  const rated = await p.request('rate', { sessionId: 'team-r1', rating });
  expect(rated.rating).toMatchObject({ consultationId: 'r1', doctor: doctor.account, stars: 5, comment: '很耐心' });
  expect(await outcome(p.request('rate', { sessionId: 'team-r1', rating: { stars: 1, tags: [] } }))).toMatch(/^alreadyRated/);

  const d2 = await closedConsultation('r2');
  await p.request('rate', { sessionId: 'team-r2', rating: { stars: 4, tags: [] } });
  const panel = await d2.request('encounter', { sessionId: 'team-r2' });
  expect(panel.encounter.doctorRating).toEqual({ average: 4.5, count: 2 });
  expect(panel.consultation.rated).toBe(true);

  const first = await get(`${RATINGS_PATH}?doctor=${doctor.account}&limit=1`);
  expect(first.status).toBe(200);
  expect(first.body.ratings.map((r: { consultationId: string }) => r.consultationId)).toEqual(['r1']);
  const second = await get(`${RATINGS_PATH}?doctor=${doctor.account}&limit=1&after=${first.body.next}`);
  expect(second.body.ratings.map((r: { consultationId: string }) => r.consultationId)).toEqual(['r2']);
  const third = await get(`${RATINGS_PATH}?doctor=${doctor.account}&limit=1&after=${second.body.next}`);
  expect(third.body).toEqual({ ratings: [] });
  expect((await get(`${RATINGS_PATH}?doctor=nobody`)).body).toEqual({ ratings: [] });
  expect((await get(RATINGS_PATH, {})).status).toBe(401);
  expect((await get(`${RATINGS_PATH}?limit=0`)).body.error.message).toMatch(/limit/);
  expect((await get(`${RATINGS_PATH}?after=x`)).body.error.code).toBe('badFrame');
});

test('follow-ups: N patient messages within D days after closing, counted by the server even when sent at once; then consultationClosed', async () => {
  const d = await closedConsultation('f1');
  const p = await login(patient);
  // From two devices, so that the sends really race each other on the server.
  const p2 = await login(patient);
  const sends = await Promise.allSettled([p, p2, p, p2, p].map((c) => c.request('send', text('f1', '追问'))));
  expect(sends.filter((s) => s.status === 'fulfilled')).toHaveLength(2);
  for (const s of sends.filter((s) => s.status === 'rejected')) expect(((s as PromiseRejectedResult).reason as RequestError).frame.code).toBe('consultationClosed');
  // The doctor answers within the window.
  await d.request('send', text('f1', '按时服药'));
  const seen = await p.request('encounter', { sessionId: 'team-f1' });
  expect(seen.encounter.followUp).toEqual({ messages: 2, days: 1, used: 2, left: 0 });
  expect((await ctx.server.storage.consultation('f1'))?.patientMessages).toBe(0);

  await closedConsultation('f2');
  clock += DAY + 60_000;
  expect(await outcome(p.request('send', text('f2')))).toMatch(/^consultationClosed/);
  expect(await outcome(d.request('send', text('f2')))).toMatch(/^consultationClosed/);
});

test('a cancelled consultation has no follow-ups', async () => {
  expect((await create('f3')).status).toBe(201);
  const p = await login(patient);
  await p.request('consultation', { sessionId: 'team-f3', action: 'cancel' });
  expect(await outcome(p.request('send', text('f3')))).toMatch(/^consultationClosed/);
});

test("quick replies: the doctor's own list, added, edited, reordered, deleted, bounded; nobody else's", async () => {
  for (const a of [doctor, other, patient]) await ctx.server.storage.upsertAccount(a);
  const d = await login(doctor);
  const o = await login(other);
  const p = await login(patient);
  expect((await d.request('quickReplies', { op: 'list' })).replies).toEqual([]);
  const a = (await d.request('quickReplies', { op: 'put', reply: { text: '您好，请描述一下症状' } })).replies;
  const b = (await d.request('quickReplies', { op: 'put', reply: { text: '请按时服药' } })).replies;
  expect(b.map((r) => r.text)).toEqual(['您好，请描述一下症状', '请按时服药']);
  const edited = (await d.request('quickReplies', { op: 'put', reply: { id: a[0].id, text: '您好，请问哪里不舒服？' }, index: 1 })).replies;
  expect(edited.map((r) => r.text)).toEqual(['请按时服药', '您好，请问哪里不舒服？']);
  const ordered = (await d.request('quickReplies', { op: 'order', ids: [a[0].id, b[1].id] })).replies;
  expect(ordered.map((r) => r.id)).toEqual([a[0].id, b[1].id]);
  expect(await outcome(d.request('quickReplies', { op: 'order', ids: [a[0].id] }))).toMatch(/^badFrame: 排序须包含每条常用语各一次/);
  expect(await outcome(d.request('quickReplies', { op: 'put', reply: { text: '  ' } }))).toMatch(/^badFrame: 常用语不能为空/);
  expect(await outcome(d.request('quickReplies', { op: 'put', reply: { text: '长'.repeat(201) } }))).toMatch(/^badFrame: 常用语最多 200 字/);
  expect(await outcome(d.request('quickReplies', { op: 'put', reply: { id: 'missing', text: '改' } }))).toMatch(/^badFrame: 没有这条常用语/);
  expect(await outcome(d.request('quickReplies', { op: 'nope' } as never))).toMatch(/^badFrame: op/);
  expect(await outcome(p.request('quickReplies', { op: 'list' }))).toMatch(/^forbidden/);
  expect((await o.request('quickReplies', { op: 'list' })).replies).toEqual([]);
  expect(await outcome(o.request('quickReplies', { op: 'delete', replyId: a[0].id }))).toMatch(/^badFrame: 没有这条常用语/);
  expect((await d.request('quickReplies', { op: 'delete', replyId: a[0].id })).replies.map((r) => r.text)).toEqual(['请按时服药']);
  for (let i = 0; i < 49; i++) await d.request('quickReplies', { op: 'put', reply: { text: `第${i}条` } });
  expect(await outcome(d.request('quickReplies', { op: 'put', reply: { text: '再多一条' } }))).toMatch(/^badFrame: 常用语最多 50 条/);
  // Stored on the server: another device of the doctor reads the same list.
  const again = await login(doctor);
  expect((await again.request('quickReplies', { op: 'list' })).replies).toHaveLength(50);
});

test("the hospital reads a consultation's record: every message decrypted (recalled ones kept, marked), cards, consent, rating", async () => {
  expect((await create('rec1')).status).toBe(201);
  const p = await login(patient);
  const d = await login(doctor);
  await d.request('consultation', { sessionId: 'team-rec1', action: 'accept' });
  const sent = text('rec1', '最近血压 150/95');
  await p.request('send', sent);
  await p.request('recall', { sessionId: 'team-rec1', idClient: sent.msg.idClient });
  await d.request('send', { msg: { scene: 'team', to: 'rec1', type: 'custom', body: '', attach: { card: 'summary', complaint: '血压高', diagnosis: '高血压', advice: '低盐饮食' }, idClient: `card-${Date.now()}` } });
  await d.request('consultation', { sessionId: 'team-rec1', action: 'close' });
  await p.request('rate', { sessionId: 'team-rec1', rating: { stars: 5, tags: [] } });

  const { status, body } = await get(`${RECORD_PATH}?id=rec1`);
  expect(status).toBe(200);
  const record = body as ConsultationRecord;
  expect(record.consent).toEqual({ version: 'paper', acceptedAt: 1, by: 'hospital' });
  expect(record.messages.find((m) => m.idClient === sent.msg.idClient)).toMatchObject({ type: 'text', body: '最近血压 150/95', recalled: true });
  expect(record.cards).toEqual([{ seq: expect.any(Number), card: 'summary', attach: expect.objectContaining({ diagnosis: '高血压', doctor: '孙医生' }) }]);
  expect(record.rating).toMatchObject({ stars: 5 });
  expect(record.consultation).toMatchObject({ id: 'rec1', status: 'closed', closedAt: expect.any(Number) });
  expect((await get(`${RECORD_PATH}?id=rec1`, {})).status).toBe(401);
  expect((await get(`${RECORD_PATH}?id=nope`)).status).toBe(404);
  expect((await get(RECORD_PATH)).body.error.message).toMatch(/^id/);
  expect((await postJson(`${ctx.server.url}${RECORD_PATH}?id=rec1`, {}, admin)).status).toBe(400);
});
