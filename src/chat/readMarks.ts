/**
 * Read marks: the newest seq held of a session, sent once per session within MARK_READ_EVERY_MS. They
 * count against the server's per-account rate limit, and messages arriving one by one must not use it up.
 */
import type { ImProvider } from '../im/types';
import type { ChatStore } from '../store';

export const MARK_READ_EVERY_MS = 300;

export class ReadMarks {
  private readonly due = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly store: ChatStore,
    private readonly provider: ImProvider,
  ) {}

  /** Marks the session read up to what is held when the window ends (the latest seq by then). */
  schedule(sessionId: string): void {
    if (this.due.has(sessionId)) return;
    this.due.set(
      sessionId,
      setTimeout(() => {
        this.due.delete(sessionId);
        const seq = this.store.getState().messages.get(sessionId)?.maxSeq ?? 0;
        if (seq > 0) this.provider.markRead(sessionId, seq).catch(() => undefined);
      }, MARK_READ_EVERY_MS),
    );
  }

  stop(): void {
    for (const t of this.due.values()) clearTimeout(t);
    this.due.clear();
  }
}
