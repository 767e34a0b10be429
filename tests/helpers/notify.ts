/** What the notification tests share: timings short enough for a test, and waiting on the worker. */
import type { NotifyConfig } from '../../server/notify/config';
import { NOTIFY_CONSENT_PATH } from '../../types/protocol';
import { doctor, patient, TEAM } from './consultation';
import { postJson } from './post-json';
import { WsClient } from './ws-client';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pred` holds (the worker runs on its own clock), or fails after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

/** A notice falls due a second after its event; the worker looks every 100 ms. Channels are the test's. */
export const TEST_TIMING: Omit<NotifyConfig, 'webhook' | 'weapp' | 'alipay' | 'tt'> = {
  collapseSec: 1,
  minIntervalSec: 600,
  pollMs: 100,
  leaseSec: 5,
  maxAttempts: 3,
  retrySec: 1,
  presenceSec: 1,
  linkTtlSec: 3600,
};

type Server = Parameters<typeof WsClient.login>[0];
let sent = 0;

/** The doctor of the test consultation writes `body`; the connection goes into `clients` to be closed. */
export async function doctorSays(server: Server, clients: WsClient[], body: string) {
  const d = await WsClient.login(server, doctor);
  clients.push(d);
  return d.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body, idClient: `notify-${++sent}-${Date.now()}` } });
}

/** What the patient's app posts once the platform's subscription prompt resolved on a tap. */
export async function patientConsents(server: Server, platform: 'weapp' | 'alipay' | 'tt', results: Record<string, string>) {
  const token = await server.auth.issue(patient);
  return postJson(`${server.url}${NOTIFY_CONSENT_PATH}`, { platform, results }, { authorization: `Bearer ${token}` });
}
