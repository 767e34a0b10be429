/**
 * Read and delivery marks: the newest seq held of a session, sent once per session within
 * MARK_READ_EVERY_MS. They count against the server's per-account rate limit, and messages arriving
 * one by one must not use it up.
 */
import type { ChatStore } from '../store';

export const MARK_READ_EVERY_MS = 300;

export class CursorMarks {
  private readonly due = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly store: ChatStore,
    /** Sends the mark (markRead, delivered); failures are dropped: the next mark covers them. */
    private readonly send: (sessionId: string, seq: number) => Promise<void>,
  ) {}

  /** Marks the session up to what is held when the window ends (the latest seq by then). */
  schedule(sessionId: string): void {
    if (this.due.has(sessionId)) return;
    this.due.set(
      sessionId,
      setTimeout(() => {
        this.due.delete(sessionId);
        const seq = this.store.getState().messages.get(sessionId)?.maxSeq ?? 0;
        if (seq > 0) this.send(sessionId, seq).catch(() => undefined);
      }, MARK_READ_EVERY_MS),
    );
  }

  stop(): void {
    for (const t of this.due.values()) clearTimeout(t);
    this.due.clear();
  }
}
