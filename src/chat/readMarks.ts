/**
 * Read and delivery marks: the newest seq held of a session, sent once per session within
 * MARK_READ_EVERY_MS. They count against the server's per-account rate limit, and messages arriving
 * one by one must not use it up.
 */
import type { ChatStore } from '../store';

export const MARK_READ_EVERY_MS = 300;

export class CursorMarks {
  private readonly due = new Map<string, ReturnType<typeof setTimeout>>();
  /** Sessions whose window ended, waiting for their turn (only with spacing). */
  private readonly queue: string[] = [];
  private pause?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly store: ChatStore,
    /** Sends the mark (markRead, delivered); failures are dropped: the next mark covers them. */
    private readonly send: (sessionId: string, seq: number) => Promise<void>,
    /**
     * Between two marks of different sessions: a sync that brings messages of many sessions must not
     * spend the account's rate limit, which the messages being sent share.
     */
    private readonly spacingMs = 0,
  ) {}

  /** Marks the session up to what is held when the window ends (the latest seq by then). */
  schedule(sessionId: string): void {
    if (this.due.has(sessionId) || this.queue.includes(sessionId)) return;
    this.due.set(
      sessionId,
      setTimeout(() => {
        this.due.delete(sessionId);
        this.queue.push(sessionId);
        this.drain();
      }, MARK_READ_EVERY_MS),
    );
  }

  private drain(): void {
    while (!this.pause) {
      const sessionId = this.queue.shift();
      if (sessionId === undefined) return;
      if (!this.mark(sessionId)) continue;
      if (this.spacingMs > 0) {
        this.pause = setTimeout(() => {
          this.pause = undefined;
          this.drain();
        }, this.spacingMs);
      }
    }
  }

  /**
   * Marks the session up to what is held now, not when the window ends: it is leaving the screen, and
   * what arrives from now on is not read.
   */
  now(sessionId: string): void {
    clearTimeout(this.due.get(sessionId));
    this.due.delete(sessionId);
    const queued = this.queue.indexOf(sessionId);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.mark(sessionId);
  }

  /** Sends the mark of the newest seq held; false when there is none. */
  private mark(sessionId: string): boolean {
    const seq = this.store.getState().messages.get(sessionId)?.maxSeq ?? 0;
    if (seq <= 0) return false;
    this.send(sessionId, seq).catch(() => undefined);
    return true;
  }

  stop(): void {
    for (const t of this.due.values()) clearTimeout(t);
    this.due.clear();
    clearTimeout(this.pause);
    this.pause = undefined;
    this.queue.length = 0;
  }
}
