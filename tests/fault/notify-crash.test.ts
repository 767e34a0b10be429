/**
 * The outbox survives a crash: the server is SIGKILLed after it stored the doctor's reply (and with it
 * the patient's due notice) and before the notice went out; after a restart on the same database the
 * notice is delivered exactly once, through a stub of the hospital's SMS webhook that refuses replays.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO } from '../../server/demo';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { startSmsWebhookStub, WEBHOOK_SECRET, type SmsWebhookStub } from '../helpers/sms-webhook-stub';
import { WsClient } from '../helpers/ws-client';
import { sleep, until as waitUntil } from '../helpers/notify';

jest.setTimeout(60_000);

const until = (pred: () => boolean | Promise<boolean>) => waitUntil(pred, 15_000);

let dir: string;
let sms: SmsWebhookStub;
let node: ServerProcess | undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medchat-notify-crash-'));
  sms = await startSmsWebhookStub();
});
afterEach(async () => {
  await node?.stop('SIGTERM', true);
  await sms.close();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL between storing a reply and sending its notice: after restart the notice goes out exactly once', async () => {
  const text = '化验单显示贫血，口服硫酸亚铁';
  sms.forbidden.push(text, '贫血', '硫酸亚铁');
  const env = {
    DB_PATH: join(dir, 'chat.sqlite'),
    NOTIFY_WEBHOOK_URL: sms.url,
    NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    NOTIFY_COLLAPSE_SEC: '3',
    NOTIFY_POLL_MS: '100',
    NOTIFY_LEASE_SEC: '2',
    NOTIFY_RETRY_SEC: '1',
  };
  node = await spawnServer(env);
  const d = await WsClient.loginWithToken(node, node.tokens.doctor);
  await d.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body: text, idClient: 'crash-reply-1' } });
  d.close();
  await node.stop('SIGKILL', true);
  expect(sms.received).toEqual([]);
  const db = new Database(env.DB_PATH, { readonly: true });
  expect(db.prepare('SELECT account, kind, state FROM notifications').all()).toEqual([{ account: DEMO.patient.account, kind: 'reply', state: 'pending' }]);
  db.close();

  node = await spawnServer(env);
  await until(() => sms.received.length === 1);
  await sleep(2500);
  expect(sms.received).toHaveLength(1);
  expect(sms.received[0]).toMatchObject({ account: DEMO.patient.account, kind: 'reply', consultationId: DEMO.consultationId });
  expect(sms.rejected).toEqual([]);
});
