/**
 * The notification worker: claims due outbox rows (each row goes to one process), checks that the
 * notice is still wanted (reminders on, not read meanwhile, not connected anywhere), then tries the
 * person's channels: subscription messages where they bound a mini program and gave consent, else the
 * hospital's SMS webhook. Transient failures come back with exponential backoff; permanent refusals
 * and drops are recorded, not retried. Audit details hold ids, kinds and codes only.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { partyOf } from '../../types/consultation';
import { sessionIdOf } from '../../types/message';
import type { Audit } from '../audit';
import type { Auth } from '../auth';
import { entryQuery, ENTRY_PAGE, h5Entry } from '../platforms/links';
import type { ClaimedNotification, NotifyOutcome, Storage } from '../storage/types';
import type { SendResult, SubscriptionChannel, WebhookChannel } from './channels';
import type { NotifyConfig } from './config';
import type { Notice } from './content';
import type { Presence } from './presence';

export interface WorkerDeps {
  storage: Storage;
  audit: Audit;
  auth: Auth;
  log: Logger;
  presence: Presence;
  config: NotifyConfig;
  channels: SubscriptionChannel[];
  webhook?: WebhookChannel;
  /** The address SMS links point at (known once listening). */
  publicUrl: () => string;
  now?: () => number;
}

const CLAIM_BATCH = 20;
const MAX_BACKOFF_MS = 3_600_000;

export class NotifyWorker {
  readonly node = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly d: WorkerDeps) {}

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .catch((e: unknown) => this.d.log.error({ err: e instanceof Error ? e.message : String(e) }, 'notification worker failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.d.config.pollMs);
        });
    };
    this.timer = setTimeout(loop, this.d.config.pollMs);
  }

  /** One round: every due row this process can claim now. */
  async tick(): Promise<void> {
    for (;;) {
      const rows = await this.d.storage.claimNotifications(this.node, this.now(), this.d.config.leaseSec * 1000, CLAIM_BATCH);
      for (const row of rows) {
        if (this.stopped) return;
        await this.deliver(row).catch((e: unknown) =>
          // The row stays claimed; once its lease runs out a worker takes it again.
          this.d.log.error({ err: e instanceof Error ? e.message : String(e), notification: row.id }, 'notification delivery failed'),
        );
      }
      if (rows.length < CLAIM_BATCH || this.stopped) return;
    }
  }

  private async finish(row: ClaimedNotification, o: NotifyOutcome, detail: Record<string, unknown> = {}): Promise<void> {
    const mine = await this.d.storage.finishNotification(row.id, this.node, this.now(), o);
    if (!mine) return;
    const base = { id: row.id, kind: row.kind, consultationId: row.consultationId ?? null, events: row.events };
    if (o.state === 'sent') await this.d.audit.record('notify', 'notify.sent', row.account, { ...base, ...detail });
    else if (o.state === 'refused') await this.d.audit.record('notify', 'notify.refused', row.account, { ...base, reason: o.outcome, ...detail });
    else if (o.state === 'dropped') await this.d.audit.record('notify', 'notify.dropped', row.account, { ...base, reason: o.outcome, ...detail });
  }

  private async deliver(row: ClaimedNotification): Promise<void> {
    const { storage } = this.d;
    // Not a notice at all: the person read it, or is in the chat, or the consultation moved on.
    if (row.seq > 0 && row.readSeq >= row.seq) return this.finish(row, { state: 'cancelled', outcome: 'read' });
    const c = row.consultationId ? await storage.consultation(row.consultationId) : undefined;
    if (!c) return this.finish(row, { state: 'dropped', outcome: 'noConsultation' });
    // Queued before a transfer that did not cancel it (claimed meanwhile): the consultation is no longer theirs.
    if (!partyOf(c, row.account)) return this.finish(row, { state: 'cancelled', outcome: 'transferred' });
    if (row.kind === 'waiting' && c.status !== 'waiting') return this.finish(row, { state: 'cancelled', outcome: 'handled' });
    if (await this.d.presence.isOnline(row.account)) return this.finish(row, { state: 'cancelled', outcome: 'online' });
    if (!(await storage.notifyEnabled(row.account))) return this.finish(row, { state: 'dropped', outcome: 'off' });
    const [person, doctor] = await Promise.all([storage.getAccount(row.account), storage.getAccount(c.doctor)]);
    if (!person) return this.finish(row, { state: 'dropped', outcome: 'noAccount' });
    const session = sessionIdOf('team', c.id);
    const notice: Notice = {
      id: row.id,
      account: row.account,
      kind: row.kind,
      consultationId: c.id,
      doctorName: doctor?.name ?? '医生',
      department: c.teamName,
      at: row.eventAt,
      page: `${ENTRY_PAGE}?session=${encodeURIComponent(session)}`,
    };
    const refusals: string[] = [];
    let transient = false;
    const outcome = async (channel: string, r: SendResult): Promise<boolean> => {
      if (r.ok) {
        await this.finish(row, { state: 'sent', outcome: channel }, { channel });
        return true;
      }
      if (r.permanent) refusals.push(`${channel}:${r.code}`);
      else transient = true;
      return false;
    };

    const bindings = await storage.miniappBindingsOf(row.account);
    const consents = this.d.channels.length ? await storage.notifyConsents(row.account) : [];
    for (const ch of this.d.channels) {
      const consent = consents.find((x) => x.platform === ch.platform && x.template === ch.template.templateId);
      if (!consent || consent.remaining <= 0) continue;
      for (const b of bindings.filter((x) => x.platform === ch.platform && x.appid === ch.appid)) {
        const r = await ch.send(b.openid, notice);
        if (r.ok || (!r.ok && r.noSubscription)) {
          await storage.changeNotifyConsent(row.account, ch.platform, ch.template.templateId, r.ok ? 'use' : 'revoke', this.now());
        }
        if (await outcome(ch.platform, r)) return;
        if (!r.ok && r.noSubscription) break;
      }
    }
    if (this.d.webhook) {
      const link = await this.d.auth.issueLink(person, this.d.config.linkTtlSec);
      const r = await this.d.webhook.send(notice, h5Entry(this.d.publicUrl(), entryQuery(link, session)));
      if (await outcome('sms', r)) return;
    }
    if (transient) {
      if (row.attempts >= this.d.config.maxAttempts) return this.finish(row, { state: 'dropped', outcome: 'retries' }, { attempts: row.attempts, codes: refusals });
      const backoff = Math.min(MAX_BACKOFF_MS, this.d.config.retrySec * 1000 * 2 ** (row.attempts - 1));
      return this.finish(row, { state: 'retry', outcome: 'transient', dueAt: this.now() + backoff });
    }
    if (refusals.length) return this.finish(row, { state: 'refused', outcome: refusals.join(',') }, { codes: refusals });
    return this.finish(row, { state: 'dropped', outcome: 'noChannel' });
  }

  /** Stops claiming; a delivery in flight finishes. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
