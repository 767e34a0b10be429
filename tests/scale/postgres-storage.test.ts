/**
 * The PostgreSQL storage as two server processes use it: two pools on one database appending to one
 * conversation at once still get gap-free seqs, a retry racing its original is stored once, and the
 * audit log refuses edits. A private PostgreSQL from the Debian package (tests/helpers/services).
 */
import pg from 'pg';
import { Cipher, dataKeysFrom } from '../../server/crypto';
import { PostgresStorage } from '../../server/storage/postgres';
import { SqliteStorage } from '../../server/storage/sqlite';
import type { Storage } from '../../server/storage/types';
import type { NewMessage } from '../../server/storage/types';
import { teamConvId } from '../../server/storage/types';
import { CONSENTED, doctor, patient, TEAM } from '../helpers/consultation';
import { startPostgres, type Service } from '../helpers/services';

jest.setTimeout(60_000);

let db: Service;
let a: PostgresStorage;
let b: PostgresStorage;
const cipher = new Cipher(dataKeysFrom({ DATA_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` }, ':memory:'));

beforeAll(async () => {
  db = await startPostgres();
  [a, b] = await Promise.all([PostgresStorage.open(db.url, cipher), PostgresStorage.open(db.url, cipher)]);
  for (const acc of [doctor, patient]) await a.upsertAccount(acc);
  await a.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.stop();
});

const draft = (from: string, idClient: string, body = idClient): NewMessage => ({
  conv: { id: teamConvId(TEAM), scene: 'team', teamId: TEAM },
  idClient,
  from,
  scene: 'team',
  to: TEAM,
  type: 'text',
  body,
  members: [],
});

test('two processes sending to one conversation at once get consecutive seqs, each message once', async () => {
  const sends = Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).appendMessage(draft(i % 2 ? patient.account : doctor.account, `conc-${i}-msg`)));
  const results = await Promise.all(sends);
  expect(results.every((r) => !r.duplicate)).toBe(true);
  expect(results.map((r) => r.stored.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  // The patient's quota counter, kept by each append, saw every one of theirs.
  expect((await a.consultation(TEAM))?.patientMessages).toBe(100);
  const history = await b.history(teamConvId(TEAM), undefined, 200);
  expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(new Set(history.map((m) => m.body)).size).toBe(200);
  // Times never go back within the conversation.
  for (let i = 1; i < history.length; i++) expect(history[i].time).toBeGreaterThanOrEqual(history[i - 1].time);
});

test('a retry racing its original on the other process is stored once and both get the same message', async () => {
  const [x, y] = await Promise.all([a.appendMessage(draft(patient.account, 'race-retry-1')), b.appendMessage(draft(patient.account, 'race-retry-1'))]);
  expect(x.stored.idServer).toBe(y.stored.idServer);
  expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
  const after = await a.after(teamConvId(TEAM), 0, 1000);
  expect(after.filter((m) => m.idClient === 'race-retry-1')).toHaveLength(1);
  expect(after.map((m) => m.seq)).toEqual(after.map((_, i) => i + 1));
});

test('bodies are sealed in the database, read cursors only rise, and the audit log is append-only', async () => {
  await a.appendMessage(draft(patient.account, 'sealed-body-1', '咽喉痛三天'));
  const raw = new pg.Client({ connectionString: db.url });
  await raw.connect();
  try {
    const { rows } = await raw.query<{ body: string }>("SELECT body FROM messages WHERE id_client = 'sealed-body-1'");
    expect(rows[0].body).toMatch(/^enc1:k1:/);
    expect(rows[0].body).not.toContain('咽喉痛');
    expect((await a.markRead(teamConvId(TEAM), doctor.account, 5)).readSeq).toBe(5);
    expect((await b.markRead(teamConvId(TEAM), doctor.account, 3)).readSeq).toBe(5);
    await a.appendAudit(() => ({ seq: 1, at: 1, actor: 'x', action: 'test', target: 't', detail: '{}', prevHash: '', hash: 'h1' }));
    await expect(raw.query("UPDATE audit_log SET actor = 'y'")).rejects.toThrow('append-only');
    await expect(raw.query('DELETE FROM audit_log')).rejects.toThrow('append-only');
    expect(await b.auditRecords(0, 10)).toHaveLength(1);
  } finally {
    await raw.end();
  }
});

test('the sessions list reads the same from PostgreSQL as from SQLite', async () => {
  const lite = new SqliteStorage(':memory:', cipher);
  // A fresh doctor and patient, so the list holds only what this test writes.
  const doc = { account: 'doctor-cmp', name: '对照医生', role: 'doctor' as const };
  const pat = { account: 'patient-cmp', name: '对照患者', role: 'patient' as const };
  const run = async (st: Storage) => {
    for (const acc of [doc, pat]) await st.upsertAccount(acc);
    await st.createConsultation({ id: 'cmp', patient: pat.account, doctor: doc.account, teamName: '对照', maxPatientMessages: 9, ...CONSENTED });
    const msg = (from: string, idClient: string): NewMessage => ({ ...draft(from, idClient), conv: { id: teamConvId('cmp'), scene: 'team', teamId: 'cmp' }, to: 'cmp' });
    for (const [i, from] of [pat, doc, pat, pat].entries()) await st.appendMessage(msg(from.account, `cmp-msg-${i}`));
    await st.markRead(teamConvId('cmp'), doc.account, 3);
    await st.markRead(teamConvId('cmp'), pat.account, 1);
    const [summary] = await st.conversationsOf(pat.account);
    const { lastMsg, consultation, ...rest } = summary;
    return { ...rest, lastMsg: lastMsg && { ...lastMsg, idServer: '', time: 0 }, consultation: consultation && { ...consultation, createdAt: 0 } };
  };
  try {
    const fromPg = await run(a);
    expect(fromPg).toEqual(await run(lite));
    expect(fromPg).toMatchObject({ unread: 1, readSeq: 1, peerReadSeq: 3, memberReads: { [doc.account]: 3 }, lastMsg: { seq: 4 }, consultation: { patientMessages: 3 } });
  } finally {
    await lite.close();
  }
});
