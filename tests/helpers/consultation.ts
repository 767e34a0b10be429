/** The cast of the server tests: a doctor, their patient, an outsider, and one consultation. */
import type { ConsentRecord } from '../../types/encounter';
import type { Account } from '../../types/message';
import { startTestServer, type TestServer } from './server';
import { WsClient } from './ws-client';

export const doctor: Account = { account: 'doctor-zhang', name: '张医生', role: 'doctor' };
export const patient: Account = { account: 'patient-li', name: '李女士', role: 'patient' };
export const stranger: Account = { account: 'patient-wang', name: '王先生', role: 'patient' };
export const TEAM = 'c1';
export const SESSION = `team-${TEAM}`;
/**
 * The patient's consent as the hospital records it before opening a consultation: tests of other rules
 * start from a consultation that takes patient messages (the consent rule has its own tests).
 */
export const CONSENTED: { consent: ConsentRecord } = { consent: { version: 'test-1', acceptedAt: 1, by: 'hospital' } };

/** A fresh server and SQLite file holding the three accounts and the doctor–patient consultation. */
export async function startConsultationServer(over: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(over);
  for (const a of [doctor, patient, stranger]) await server.storage.upsertAccount(a);
  await server.storage.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
  return server;
}

/**
 * Per test: a fresh server made by `start`, and a `login` whose connections (and those handed to
 * `track`) are closed after the test.
 */
export function serverPerTest(start: () => Promise<TestServer>) {
  const open: WsClient[] = [];
  const ctx = {
    server: undefined as unknown as TestServer,
    track(c: WsClient): WsClient {
      open.push(c);
      return c;
    },
    async login(a: Account): Promise<WsClient> {
      return ctx.track(await WsClient.login(ctx.server, a));
    },
  };
  beforeEach(async () => {
    ctx.server = await start();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await ctx.server.dispose();
  });
  return ctx;
}

/**
 * Per test: a fresh consultation server (also with a consultation between the doctor and `stranger`
 * when `strangerToo`), and a `login` of several accounts at once.
 */
export function consultationServerPerTest(options: { strangerToo?: boolean } = {}) {
  const ctx = serverPerTest(async () => {
    const server = await startConsultationServer();
    if (options.strangerToo) {
      await server.storage.createConsultation({ id: 'c2', patient: stranger.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    }
    return server;
  });
  return {
    get server(): TestServer {
      return ctx.server;
    },
    login: (...accounts: Account[]): Promise<WsClient[]> => Promise.all(accounts.map((a) => ctx.login(a))),
  };
}
