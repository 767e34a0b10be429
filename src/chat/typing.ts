/** Typing signals: ours at most every few seconds, others' shown for a few seconds after their last. */
import type { ImProvider } from '../im/types';
import type { ChatStore } from '../store';

export const TYPING_SEND_EVERY_MS = 3_000;
export const TYPING_SHOW_MS = 5_000;

export class Typing {
  private readonly sentAt = new Map<string, number>();
  private readonly hideTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly store: ChatStore,
    private readonly provider: ImProvider,
  ) {}

  /** Called on every keystroke. */
  keystroke(sessionId: string): void {
    const now = Date.now();
    if (now - (this.sentAt.get(sessionId) ?? 0) < TYPING_SEND_EVERY_MS) return;
    this.sentAt.set(sessionId, now);
    this.provider.typing(sessionId);
  }

  /** The peer hides "typing" when our message arrives: the next keystroke must show it again. */
  messageSent(sessionId: string): void {
    this.sentAt.delete(sessionId);
  }

  /** Someone else in the session is typing. */
  show(sessionId: string, account: string): void {
    this.store.getState().setTyping(sessionId, account);
    clearTimeout(this.hideTimers.get(sessionId));
    this.hideTimers.set(
      sessionId,
      setTimeout(() => this.store.getState().setTyping(sessionId, undefined), TYPING_SHOW_MS),
    );
  }

  stop(): void {
    for (const t of this.hideTimers.values()) clearTimeout(t);
  }
}
