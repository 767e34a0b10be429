/**
 * Own messages the server has not acknowledged yet, persisted so that a reload or a killed app loses
 * none of them. Kept per session under its own key (mini programs cap one key at 1 MB), with an index
 * key listing the sessions. Resending is safe: the server deduplicates by idClient. A media message is
 * held from the moment it is composed, before its upload, so that what follows it waits behind it.
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
      const msgs = storage.get<Message[]>(`${prefix}.${sessionId}`);
      if (Array.isArray(msgs) && msgs.length) this.sessions.set(sessionId, msgs);
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

  /** Adds a message or updates it in place (a failed one being resent keeps its position). */
  put(msg: Message): void {
    const list = [...(this.sessions.get(msg.sessionId) ?? [])];
    const i = list.findIndex((m) => m.idClient === msg.idClient);
    if (i >= 0) list[i] = msg;
    else list.push(msg);
    if (i < 0 && (list.length > OUTBOX_MAX_PER_SESSION || bytesOf(list) > OUTBOX_MAX_BYTES_PER_SESSION)) {
      throw new OutboxFullError();
    }
    this.write(msg.sessionId, list);
  }

  remove(sessionId: string, idClient: string): void {
    const list = this.sessions.get(sessionId);
    if (!list?.some((m) => m.idClient === idClient)) return;
    this.write(
      sessionId,
      list.filter((m) => m.idClient !== idClient),
    );
  }

  /** Every held message forgotten, on the device too. */
  clear(): void {
    for (const sessionId of this.sessions.keys()) this.storage.remove(`${this.prefix}.${sessionId}`);
    this.sessions.clear();
    this.storage.remove(this.prefix);
  }

  private write(sessionId: string, list: Message[]): void {
    const known = this.sessions.has(sessionId);
    if (list.length) {
      this.sessions.set(sessionId, list);
      this.storage.set(`${this.prefix}.${sessionId}`, list);
    } else {
      this.sessions.delete(sessionId);
      this.storage.remove(`${this.prefix}.${sessionId}`);
    }
    if (known !== this.sessions.has(sessionId)) this.storage.set(this.prefix, [...this.sessions.keys()]);
  }
}
