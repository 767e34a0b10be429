/**
 * Wires one IM provider to one chat store: the store is written first, the page renders from it.
 */
import type { Message } from '../../types/message';
import { parseSessionId } from '../../types/message';
import { HISTORY_PAGE_MAX } from '../../types/protocol';
import { newIdClient } from '../im/ids';
import type { ImProvider } from '../im/types';
import { ImError } from '../im/types';
import type { ChatStore } from '../store';
import { syncCursors } from '../store';
import { errorText } from './errorText';

const PAGE_SIZE = 30;

export class ChatController {
  private started?: { token: string; done: Promise<void> };
  private readonly unsubscribe: Array<() => void> = [];
  private readPending = new Set<string>();

  constructor(
    readonly store: ChatStore,
    private readonly provider: ImProvider,
  ) {
    const s = () => this.store.getState();
    this.unsubscribe.push(
      provider.on('msgs', (msgs) => {
        s().receive(msgs);
        const current = s().currentSessionId;
        if (current && msgs.some((m) => m.sessionId === current)) this.scheduleMarkRead(current);
      }),
      provider.on('state', (state, err) => {
        if (state === 'connected') void this.syncAll();
        else if (state === 'authFailed') s().setConnection('authFailed', errorText(err?.code));
        else s().setConnection(state, state === 'disconnected' ? errorText(err?.code) : undefined);
      }),
      provider.on('read', (sessionId, account, readSeq) => {
        if (account !== s().me?.account) s().peerRead(sessionId, readSeq);
      }),
      provider.on('unread', (sessionId, unread) => s().setUnread(sessionId, unread)),
    );
  }

  /** Connects once per token; calling again with the same token returns the same promise. */
  start(token: string): Promise<void> {
    if (this.started?.token === token) return this.started.done;
    if (this.started) this.provider.disconnect();
    const done = this.provider.connect(token).then((me) => this.store.getState().setMe(me));
    this.started = { token, done };
    done.catch(() => {
      if (this.started?.done === done) this.started = undefined;
    });
    return done;
  }

  stop(): void {
    this.provider.disconnect();
    this.started = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** After every (re)connect: fetch everything after our cursors until the server says complete. */
  private async syncAll(): Promise<void> {
    const s = this.store.getState;
    s().setConnection('syncing');
    try {
      for (;;) {
        const res = await this.provider.sync(syncCursors(s()));
        s().receive(res.msgs);
        s().setSessions(res.sessions);
        if (res.complete) break;
      }
      s().setConnection('synced');
      const current = s().currentSessionId;
      if (current) this.scheduleMarkRead(current);
    } catch (e) {
      // A sync cut by a disconnect is retried on the next 'connected'.
      if (!(e instanceof ImError && e.code === 'disconnected')) s().setConnection('disconnected', errorText(undefined));
    }
  }

  async sendText(sessionId: string, text: string): Promise<void> {
    const body = text.trim();
    const me = this.store.getState().me;
    const target = parseSessionId(sessionId);
    if (!body || !me || !target) return;
    const msg: Message = {
      ...target,
      sessionId,
      from: me.account,
      fromNick: me.name,
      type: 'text',
      body,
      idClient: newIdClient(),
      time: Date.now(),
      status: 'sending',
    };
    this.store.getState().addPending(msg);
    await this.deliver(msg);
  }

  /** Resends with the same idClient: if the server had stored it, it answers with the original ack. */
  async resend(sessionId: string, idClient: string): Promise<void> {
    const msg = this.store.getState().messages[sessionId]?.byId[idClient];
    if (!msg || msg.status !== 'sendFailed') return;
    this.store.getState().addPending(msg);
    await this.deliver(msg);
  }

  private async deliver(msg: Message): Promise<void> {
    try {
      const ack = await this.provider.send({
        scene: msg.scene,
        to: msg.to,
        type: msg.type,
        body: msg.body,
        idClient: msg.idClient,
        ...(msg.attach ? { attach: msg.attach } : {}),
      });
      this.store.getState().ack(ack);
    } catch (e) {
      this.store.getState().fail(msg.sessionId, msg.idClient, errorText(e instanceof ImError ? e.code : undefined));
    }
  }

  /** Opens a session: unread goes to zero, the newest page is loaded if nothing is held yet. */
  async enterSession(sessionId: string): Promise<void> {
    const s = this.store.getState;
    s().openSession(sessionId);
    if (!s().messages[sessionId]?.order.length) await this.loadOlder(sessionId);
    this.scheduleMarkRead(sessionId);
  }

  leaveSession(sessionId: string): void {
    this.scheduleMarkRead(sessionId);
    if (this.store.getState().currentSessionId === sessionId) this.store.getState().openSession(undefined);
  }

  /** Loads the page before the oldest message held. Returns false when there is nothing older. */
  async loadOlder(sessionId: string, limit = PAGE_SIZE): Promise<boolean> {
    const held = this.store.getState().messages[sessionId];
    if (held && !held.hasMore) return false;
    const before = held && held.minSeq > 0 ? held.minSeq : undefined;
    try {
      const page = await this.provider.history(sessionId, before, Math.min(limit, HISTORY_PAGE_MAX));
      this.store.getState().mergeHistory(sessionId, page.msgs, page.hasMore);
      return page.hasMore;
    } catch {
      return true;
    }
  }

  /** Coalesces read marks of one tick into one request per session. */
  private scheduleMarkRead(sessionId: string): void {
    if (this.readPending.has(sessionId)) return;
    this.readPending.add(sessionId);
    setTimeout(() => {
      this.readPending.delete(sessionId);
      const seq = this.store.getState().messages[sessionId]?.maxSeq ?? 0;
      if (seq > 0) this.provider.markRead(sessionId, seq).catch(() => undefined);
    }, 0);
  }
}
