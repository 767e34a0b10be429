/**
 * Own messages the server has not acknowledged yet, persisted so that a reload or a killed app loses
 * none of them. Kept per session under its own key (mini programs cap one key at 1 MB), with an index
 * key listing the sessions. Resending is safe: the server deduplicates by idClient. A media message is
 * held from the moment it is composed, before its upload, so that what follows it waits behind it.
 * Each change is applied to what the device holds, read afresh, so that two H5 tabs of one account keep
 * each other's messages, and each takes in what another left (takeIn), so that none waits for a reload.
 */
import { isMediaKind } from '../../types/media';
import type { Message } from '../../types/message';
import type { KeyValueStorage } from '../platform/storage';

/** Per session: far more than anyone types offline, far below the 1 MB per-key limit. */
export const OUTBOX_MAX_PER_SESSION = 100;
export const OUTBOX_MAX_BYTES_PER_SESSION = 256 * 1024;

/** Where an account's outbox is persisted: per account, so that another one signing in on the device leaves it be. */
export const outboxKey = (account: string): string => `medchat.outbox.${account}`;

export class OutboxFullError extends Error {
  constructor() {
    super('too many unsent messages');
    this.name = 'OutboxFullError';
  }
}

const bytesOf = (msgs: readonly Message[]): number => JSON.stringify(msgs).length * 2;

/** A media message not uploaded yet: its attach still describes the local file, without the upload's fileId. */
export const awaitsUpload = (m: Pick<Message, 'type' | 'attach'>): boolean => isMediaKind(m.type) && typeof m.attach?.fileId !== 'string';

export class Outbox {
  private readonly sessions = new Map<string, Message[]>();

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly prefix: string,
  ) {
    for (const sessionId of storage.get<string[]>(prefix) ?? []) {
      const msgs = this.stored(sessionId);
      if (msgs.length) this.sessions.set(sessionId, msgs);
    }
  }

  /** Every held message, per session in the order composed. */
  all(): Message[] {
    return [...this.sessions.values()].flat();
  }

  /**
   * The oldest message ready to go out (not failed), if any. A session whose oldest unsent message
   * still awaits its upload sends nothing yet: what was composed after it goes after it.
   */
  next(): Message | undefined {
    for (const msgs of this.sessions.values()) {
      const m = msgs.find((x) => x.status === 'sending');
      if (m && !awaitsUpload(m)) return m;
    }
    return undefined;
  }

  /**
   * Adds a message or updates it in place (a failed one being resent keeps its position). An update of
   * a message no longer on the device leaves the device be: another tab has sent it (or its account
   * signed out there), and writing it back would bring a sent message back at every reload.
   */
  put(msg: Message): void {
    const held = this.sessions.get(msg.sessionId) ?? [];
    const stored = this.stored(msg.sessionId);
    const added = !held.some((m) => m.idClient === msg.idClient);
    const onDevice = added || stored.some((m) => m.idClient === msg.idClient);
    const next = upsert(stored, msg);
    if (added && (next.length > OUTBOX_MAX_PER_SESSION || bytesOf(next) > OUTBOX_MAX_BYTES_PER_SESSION)) {
      throw new OutboxFullError();
    }
    this.hold(msg.sessionId, upsert(held, msg));
    if (onDevice) this.write(msg.sessionId, next);
  }

  remove(sessionId: string, idClient: string): void {
    const list = this.sessions.get(sessionId);
    if (!list?.some((m) => m.idClient === idClient)) return;
    const without = (msgs: Message[]) => msgs.filter((m) => m.idClient !== idClient);
    this.hold(sessionId, without(list));
    this.write(sessionId, without(this.stored(sessionId)));
  }

  /**
   * Takes in what the device holds for the account that this run does not: another tab's unsent
   * messages, which would otherwise wait for a reload once that tab is closed. A media message awaiting
   * its upload stays with the tab that has its file, and what follows it in its session waits behind
   * it, as there. Each goes where the device has it, so that a session still goes out in the order
   * composed. Returns those taken in.
   */
  takeIn(): Message[] {
    const taken: Message[] = [];
    for (const sessionId of this.storage.get<string[]>(this.prefix) ?? []) {
      const held = this.sessions.get(sessionId) ?? [];
      const ids = new Set(held.map((m) => m.idClient));
      const stored = this.stored(sessionId);
      const foreign = stored.filter((m) => !ids.has(m.idClient));
      const blocker = foreign.findIndex((m) => m.status === 'sending' && awaitsUpload(m));
      const news = (blocker < 0 ? foreign : foreign.slice(0, blocker)).filter((m) => !awaitsUpload(m));
      if (!news.length) continue;
      this.hold(sessionId, placed(held, news, stored));
      taken.push(...news);
    }
    return taken;
  }

  /** Every message of the account forgotten, on the device too (another tab's among them). */
  clear(): void {
    const stored = this.storage.get<string[]>(this.prefix) ?? [];
    for (const sessionId of new Set([...this.sessions.keys(), ...stored])) this.storage.remove(`${this.prefix}.${sessionId}`);
    this.sessions.clear();
    this.storage.remove(this.prefix);
  }

  /**
   * What the device holds for a session, read afresh: on H5 another tab of the same account persists
   * its own unsent messages under the same key, and writing this tab's list alone would drop them.
   */
  private stored(sessionId: string): Message[] {
    const msgs = this.storage.get<Message[]>(`${this.prefix}.${sessionId}`);
    return Array.isArray(msgs) ? msgs : [];
  }

  /** What this run sends. */
  private hold(sessionId: string, own: Message[]): void {
    if (own.length) this.sessions.set(sessionId, own);
    else this.sessions.delete(sessionId);
  }

  /**
   * The one place the outbox reaches the device. A write the platform refuses (H5's localStorage holds
   * 5 MB an origin, a mini program's storage 10 MB) is let go here rather than by each caller: the
   * message is held in memory all the same and goes out, it only does not survive a reload, and no
   * change (new, uploaded, failed, sent) should stop a message over that.
   */
  private write(sessionId: string, stored: Message[]): void {
    const key = `${this.prefix}.${sessionId}`;
    const index = this.storage.get<string[]>(this.prefix) ?? [];
    try {
      if (stored.length) {
        // Indexed first: a list no index names would be found neither by a reload nor by a sign-out.
        if (!index.includes(sessionId)) this.storage.set(this.prefix, [...index, sessionId]);
        this.storage.set(key, stored);
      } else {
        this.storage.remove(key);
        if (index.includes(sessionId)) this.storage.set(this.prefix, index.filter((id) => id !== sessionId));
      }
    } catch {
      // Held in memory only (see above).
    }
  }
}

/** `msgs` with `msg` in place of the one with its idClient, or after them all. */
function upsert(msgs: readonly Message[], msg: Message): Message[] {
  const i = msgs.findIndex((m) => m.idClient === msg.idClient);
  return i >= 0 ? msgs.map((m, j) => (j === i ? msg : m)) : [...msgs, msg];
}

/** `held` with each of `news` after the held message the device holds before it (first, if none). */
function placed(held: readonly Message[], news: readonly Message[], stored: readonly Message[]): Message[] {
  const out = [...held];
  for (const msg of news) {
    const before = stored.slice(0, stored.indexOf(msg));
    const at = Math.max(...before.map((p) => out.findIndex((m) => m.idClient === p.idClient)), -1);
    out.splice(at + 1, 0, msg);
  }
  return out;
}
