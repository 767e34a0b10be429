/**
 * Catching up: after every (re)connect everything after the store's per-session cursors, until the
 * provider says complete; and a quiet fill when a live push shows a gap. It reports outcomes and never
 * decides the connection phase: the controller does.
 */
import { backoffDelay } from '../im/backoff';
import type { Message } from '../../types/message';
import type { ImErrorCode, ImProvider } from '../im/types';
import { connectionLost, errorCodeOf } from '../im/types';
import type { ChatStore } from '../store';
import { hasGaps, replyWrites, syncCursors } from '../store';

/** A push past a gap usually means the missing one is a moment behind it. */
export const GAP_WAIT_MS = 1_000;
/** The longest wait between tries of a gap fill that keeps failing. */
export const GAP_RETRY_MAX_MS = 30_000;

/**
 * 'cut': the connection went (the next 'connected' syncs again); 'failed': it failed on a live
 * connection, e.g. a slow reply timed out, and is worth retrying.
 */
export type SyncOutcome = { kind: 'synced' } | { kind: 'cut' } | { kind: 'failed'; code?: ImErrorCode };

export interface SyncOptions {
  /** Messages a sync brought, once in the store (their delivery is acknowledged). */
  received?: (msgs: readonly Message[]) => void;
  /** The jitter of the retry delay (tests fix it). */
  random?: () => number;
  /**
   * Sessions the store holds that a complete sync did not list (a doctor's sync lists only what the
   * workbench shows): their summaries may be stale, e.g. closed while the device slept, or the person
   * may no longer open them.
   */
  unlisted?: (ids: string[]) => void;
}

export class Sync {
  private current?: Promise<SyncOutcome>;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private gapTimer?: ReturnType<typeof setTimeout>;

  private readonly received: (msgs: readonly Message[]) => void;
  private readonly random: () => number;
  private readonly unlisted: (ids: string[]) => void;

  constructor(
    private readonly store: ChatStore,
    private readonly provider: ImProvider,
    /** Whether a gap fill may run now (only on a connection that has synced). */
    private readonly mayFillGaps: () => boolean,
    options: SyncOptions = {},
  ) {
    this.received = options.received ?? (() => undefined);
    this.random = options.random ?? Math.random;
    this.unlisted = options.unlisted ?? (() => undefined);
  }

  /** A catch-up is under way; its caller acts on the outcome. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /** One catch-up at a time: a second call while one runs gets the same outcome. */
  catchUp(): Promise<SyncOutcome> {
    this.current ??= this.fetchSinceCursors()
      .then(
        (): SyncOutcome => ({ kind: 'synced' }),
        (e: unknown): SyncOutcome => (connectionLost(e) ? { kind: 'cut' } : { kind: 'failed', code: errorCodeOf(e) }),
      )
      .finally(() => {
        this.current = undefined;
      });
    return this.current;
  }

  /** After a failed catch-up: `again` after a growing delay, unless the connection changes first. */
  retryLater(attempt: number, again: () => void): void {
    this.cancelRetry();
    this.retryTimer = setTimeout(again, backoffDelay(attempt, 500, 10_000, this.random) + 200);
  }

  /** The connection the failure happened on is gone: the next 'connected' syncs anyway. */
  cancelRetry(): void {
    clearTimeout(this.retryTimer);
  }

  /** A live push left a gap: if it is still there shortly after, a quiet fetch fills it (the banner stays). */
  noticeGaps(failed = 0): void {
    if (this.gapTimer || !hasGaps(this.store.getState())) return;
    const wait = GAP_WAIT_MS + (failed ? backoffDelay(failed, GAP_WAIT_MS, GAP_RETRY_MAX_MS, this.random) : 0);
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      // A fill refused or unanswered (the rate limit, a timeout) is tried again, waiting longer each
      // time: no later push may come to show the gap, and the last message of a conversation would
      // stay missing until a reconnect.
      if (this.mayFillGaps() && hasGaps(this.store.getState())) this.fetchSinceCursors().catch(() => this.noticeGaps(failed + 1));
    }, wait);
  }

  stop(): void {
    this.cancelRetry();
    clearTimeout(this.gapTimer);
    // Else a later sign-in in the same run would never fill a gap again (noticeGaps waits for it).
    this.gapTimer = undefined;
  }

  private async fetchSinceCursors(): Promise<void> {
    const s = this.store.getState;
    const listed = new Set<string>();
    for (;;) {
      const reply = replyWrites(this.store);
      const res = await this.provider.sync(syncCursors(s()));
      reply.receive(res.msgs);
      reply.setSessions(res.sessions);
      for (const session of res.sessions) listed.add(session.id);
      if (res.msgs.length) this.received(res.msgs);
      if (res.complete) break;
    }
    this.unlisted([...s().sessions.keys()].filter((id) => !listed.has(id)));
  }
}
