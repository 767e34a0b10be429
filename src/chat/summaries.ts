/**
 * Summaries of sessions the list does not hold, fetched by id: a doctor's sync lists only what the
 * workbench shows (types/encounter.ts listedInDoctorSync), so an older consultation comes when it is
 * opened, found by a search or written to; and a consultation opened while the list is on screen comes
 * by the push that names it. A fetch refused for the moment (rate limit, a slow reply) is tried again a
 * few times; one cut by the connection is left to the sync after the reconnect, which lists what is new.
 * A held session the server no longer returns (`gone`: the person may no longer open it) leaves the device.
 */
import { SESSIONS_BY_ID_MAX } from '../../types/protocol';
import { backoffDelay } from '../im/backoff';
import type { ImProvider } from '../im/types';
import { connectionLost } from '../im/types';
import { type ChatState, type ChatStore, replyWrites } from '../store';

const RETRIES = 3;

export class Summaries {
  private readonly asking = new Set<string>();
  /**
   * Asked for while being fetched: a push that came after that request went out (a transfer, say) may
   * say more than its reply, so they are fetched once more when it is in.
   */
  private readonly again = new Set<string>();

  constructor(
    private readonly store: ChatStore,
    private readonly provider: ImProvider,
    /** Sessions just removed from the store (their drafts are to be saved without them). */
    private readonly dropped: (ids: string[]) => void = () => undefined,
  ) {}

  /** Of `ids`, those the store holds no summary for. */
  missing(ids: Iterable<string>): string[] {
    const held = this.store.getState().sessions;
    return [...new Set(ids)].filter((id) => !held.has(id));
  }

  /** Fetches the summaries of `ids` (held ones too: a push said they changed), each once at a time. */
  async fetch(ids: Iterable<string>): Promise<void> {
    const asked = [...new Set(ids)];
    for (const id of asked) if (this.asking.has(id)) this.again.add(id);
    const wanted = asked.filter((id) => !this.asking.has(id));
    for (let i = 0; i < wanted.length; i += SESSIONS_BY_ID_MAX) {
      const chunk = wanted.slice(i, i + SESSIONS_BY_ID_MAX);
      for (const id of chunk) this.asking.add(id);
      try {
        await this.fetchChunk(chunk);
      } finally {
        for (const id of chunk) this.asking.delete(id);
      }
      const more = chunk.filter((id) => this.again.delete(id));
      if (more.length) await this.fetch(more);
    }
  }

  private async fetchChunk(ids: string[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // Only what was held when asked goes, and never with own messages not yet stored: a session may
      // have nothing on the server yet (a p2p chat before its first message goes out), and one that is
      // really closed to the person refuses those messages, shown failed, when they are sent.
      const held = new Set(ids.filter((id) => this.store.getState().sessions.has(id)));
      const reply = replyWrites(this.store);
      try {
        const { sessions, gone } = await this.provider.sessions(ids);
        if (sessions.length) reply.setSessions(sessions);
        const drop = gone.filter((id) => held.has(id) && !holdsUnsent(this.store.getState(), id));
        if (drop.length) {
          this.store.getState().removeSessions(drop);
          this.dropped(drop);
        }
        return;
      } catch (e) {
        // Not fatal either way: the list goes on without them.
        if (connectionLost(e) || attempt + 1 >= RETRIES) return;
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, 1_000, 8_000) + 500));
      }
    }
  }
}

/** Own messages not yet stored sort after every stored one (store/order.ts), so the newest tells. */
function holdsUnsent(state: ChatState, sessionId: string): boolean {
  const newest = state.messages.get(sessionId)?.order.last();
  return newest !== undefined && newest.seq === undefined;
}
