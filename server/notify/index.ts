/**
 * Notifications wired together: the outbox policy on the storage, presence (the server's: this
 * process's connections, and Redis's view of every process when REDIS_URL is set), the channels
 * configured, and the worker. Nothing runs when no channel is configured.
 */
import type { Logger } from 'pino';
import type { Audit } from '../audit';
import type { Auth } from '../auth';
import type { ServerConfig } from '../config';
import { WechatApi } from '../platforms/wechat';
import type { Storage } from '../storage/types';
import { AlipayChannel, DouyinChannel, type SubscriptionChannel, WebhookChannel, WechatChannel } from './channels';
import type { Presence } from './presence';
import { NotifyWorker } from './worker';

export interface Notifier {
  worker: NotifyWorker;
  close(): Promise<void>;
}

export async function startNotifier(
  config: Pick<ServerConfig, 'notify' | 'platforms'>,
  deps: { storage: Storage; audit: Audit; auth: Auth; log: Logger; presence: Presence; publicUrl: () => string; now?: () => number },
): Promise<Notifier | undefined> {
  const n = config.notify;
  if (!n) {
    deps.storage.setNotifyPolicy(undefined);
    return undefined;
  }
  deps.storage.setNotifyPolicy({ collapseMs: n.collapseSec * 1000, minIntervalMs: n.minIntervalSec * 1000 });
  const p = config.platforms;
  const timeoutMs = p?.timeoutMs ?? 5000;
  const channels: SubscriptionChannel[] = [];
  if (n.weapp && p?.weapp) channels.push(new WechatChannel(new WechatApi(p.weapp, deps.storage, timeoutMs), p.weapp, deps.storage, n.weapp, timeoutMs));
  if (n.alipay && p?.alipay) channels.push(new AlipayChannel(p.alipay, n.alipay, timeoutMs));
  if (n.tt && p?.tt) channels.push(new DouyinChannel(p.tt, deps.storage, n.tt, timeoutMs));
  const worker = new NotifyWorker({
    storage: deps.storage,
    audit: deps.audit,
    auth: deps.auth,
    log: deps.log,
    presence: deps.presence,
    config: n,
    channels,
    ...(n.webhook ? { webhook: new WebhookChannel(n.webhook, timeoutMs) } : {}),
    publicUrl: deps.publicUrl,
    ...(deps.now ? { now: deps.now } : {}),
  });
  worker.start();
  return {
    worker,
    close: () => worker.close(),
  };
}
