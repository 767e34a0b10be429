/**
 * The doctor's presence on our server: shown to the patients of the doctor's consultations only (sync
 * and push), online while any connection is open, offline with a last-seen time once the last closes,
 * hidden when the doctor hides it; nobody sees a patient's presence.
 */
import type { PresenceInfo } from '../../types/message';
import type { PushFrame, ServerFrame } from '../../types/protocol';
import { CONSENTED, doctor, patient, SESSION, startConsultationServer, stranger } from '../helpers/consultation';
import type { TestServer } from '../helpers/server';
import { expectError, WsClient } from '../helpers/ws-client';

let server: TestServer;
const open: WsClient[] = [];

beforeEach(async () => {
  server = await startConsultationServer();
  await server.storage.createConsultation({ id: 'c2', patient: stranger.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
});

afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await server.dispose();
});

async function login(a: typeof doctor, deviceId?: string): Promise<WsClient> {
  const client = await WsClient.open(server);
  await client.request('auth', { token: await server.auth.issue(a), ...(deviceId ? { deviceId } : {}) });
  open.push(client);
  return client;
}

type PresenceFrame = Extract<PushFrame, { type: 'presence' }>;
const presences = (c: WsClient) => c.pushes.filter((f): f is PresenceFrame => f.type === 'presence');
/** Waits for the `n`th presence frame (1-based) to have arrived. */
const nthPresence = async (c: WsClient, n: number): Promise<PresenceFrame> => {
  await c.waitFor((_f: ServerFrame) => presences(c).length >= n);
  return presences(c)[n - 1];
};
/** Polls `cond` until it holds (what the server does on a close is not observable by a patient while hidden). */
async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 25));
  expect(await cond()).toBe(true);
}
const sessionsOf = async (c: WsClient) => (await c.request('sync', { cursors: {} })).sessions;
const presenceIn = async (c: WsClient, sessionId: string): Promise<PresenceInfo | undefined> => (await sessionsOf(c)).find((s) => s.id === sessionId)?.presence;

test('the patients of the doctor’s consultations see the doctor come online and go, with the time; nobody else does', async () => {
  const p = await login(patient);
  const s = await login(stranger);
  expect(await presenceIn(p, SESSION)).toEqual({ account: doctor.account, online: false });
  const d = await login(doctor, 'doctor-pc');
  expect((await nthPresence(p, 1)).presence).toEqual({ account: doctor.account, online: true });
  expect(await nthPresence(s, 1)).toMatchObject({ sessionId: 'team-c2', presence: { account: doctor.account, online: true } });
  expect(await presenceIn(p, SESSION)).toEqual({ account: doctor.account, online: true });
  // The doctor sees no one's presence: not in the sessions list, not pushed when a patient comes or goes.
  await d.request('send', { msg: { scene: 'p2p', to: patient.account, type: 'text', body: '私信', idClient: 'p2p-presence-1' } });
  const dSessions = await sessionsOf(d);
  expect(dSessions.map((x) => x.id).sort()).toEqual([`p2p-${patient.account}`, SESSION, 'team-c2'].sort());
  expect(dSessions.every((x) => x.presence === undefined)).toBe(true);
  // The patient's p2p chat with the doctor is no consultation: no presence there.
  expect((await sessionsOf(p)).find((x) => x.scene === 'p2p')).toMatchObject({ id: `p2p-${doctor.account}` });
  expect(await presenceIn(p, `p2p-${doctor.account}`)).toBeUndefined();
  const before = Date.now();
  d.close();
  const gone = await nthPresence(p, 2);
  expect(gone).toMatchObject({ sessionId: SESSION, presence: { account: doctor.account, online: false } });
  expect(gone.presence.lastSeen).toBeGreaterThanOrEqual(before);
  expect(await presenceIn(p, SESSION)).toEqual(gone.presence);
  expect(presences(d)).toEqual([]);
});

test('the doctor is offline only when the last of their connections closes', async () => {
  const p = await login(patient);
  const pc = await login(doctor, 'doctor-pc');
  await nthPresence(p, 1);
  const phone = await login(doctor, 'doctor-phone');
  pc.close();
  // Still online on the phone: the sessions list says so, and the next frame is the phone's close.
  await phone.request('ping', {});
  expect(await presenceIn(p, SESSION)).toMatchObject({ online: true });
  phone.close();
  expect((await nthPresence(p, 2)).presence).toMatchObject({ online: false, lastSeen: expect.any(Number) });
  expect(presences(p).map((f) => f.presence.online)).toEqual([true, false]);
});

test('a doctor who hides their presence shows none; only a doctor may set it', async () => {
  const p = await login(patient);
  const d = await login(doctor);
  await nthPresence(p, 1);
  expect(await d.request('presence', {})).toEqual({ visible: true });
  expect(await d.request('presence', { visible: false })).toEqual({ visible: false });
  // The patients are told once that there is nothing to show: offline, and no time.
  expect((await nthPresence(p, 2)).presence).toEqual({ account: doctor.account, online: false });
  expect(await presenceIn(p, SESSION)).toBeUndefined();
  expect(await d.request('presence', {})).toEqual({ visible: false });
  // Going and coming while hidden says nothing (the time is still kept); showing it again does.
  d.close();
  await until(async () => (await server.storage.presenceOf(doctor.account)).lastSeen !== undefined);
  const again = await login(doctor);
  await again.request('presence', { visible: true });
  expect((await nthPresence(p, 3)).presence).toEqual({ account: doctor.account, online: true });
  expect(presences(p)).toHaveLength(3);
  expect(await expectError(p.request('presence', { visible: false }), 'forbidden')).toContain('医生');
  await expectError(p.request('presence', { visible: 'no' as unknown as boolean }), 'badFrame');
});
