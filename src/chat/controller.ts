/**
 * Wires one IM provider to one chat store: the store is written first, the page renders from it. The
 * jobs live in parts (sync, sender around the outbox, uploads, typing, read marks, summaries fetched by
 * id); this keeps the wiring, the public methods and the connection phase, which changes only in setPhase.
 */
import type { CardDraft } from '../../types/cards';
import type { FileAttach, GeoAttach, MediaKind } from '../../types/media';
import { extOfName } from '../../types/media';
import type { ConsultationAction, ConsultationInfo, Message, MessageType, ReplyRef } from '../../types/message';
import { parseSessionId, textOverLimit } from '../../types/message';
import { HISTORY_PAGE_MAX, mayRequest, type RequestMap } from '../../types/protocol';
import { newIdClient } from '../im/ids';
import type { PrescriptionRecord } from '../../types/prescription';
import type { EncounterRequest, ImError, ImErrorCode, ImProvider, ProviderState, SearchPage, SearchQuery } from '../im/types';
import { errorCodeOf } from '../im/types';
import type { LocalFile } from '../platform/files';
import type { FileKeeper } from '../platform/keep';
import type { KeyValueStorage } from '../platform/storage';
import { type ChatStore, type ConnectionPhase, replyWrites } from '../store';
import { localQuote } from '../render/timeline';
import { Drafts } from './drafts';
import { errorText, failureText } from './errorText';
import { awaitsUpload } from './outbox';
import { CursorMarks } from './readMarks';
import { Sender } from './sender';
import { Summaries } from './summaries';
import { Sync } from './sync';
import { Typing } from './typing';
import { Uploads } from './uploads';

const PAGE_SIZE = 30;

/**
 * The server's answers to a history request for a session this account may not open: not a member
 * (forbidden), no such consultation, or an id that names none (a mangled address).
 */
const NOT_OPENABLE = new Set<ImErrorCode | undefined>(['forbidden', 'notFound', 'badFrame']);

/** Delivery acks of different sessions go out at most this often (the server allows 10 frames a second). */
export const DELIVERED_SPACING_MS = 250;

export class ChatController {
  private started?: { token: string; done: Promise<void> };
  /** Mirrored by the store's `connection` for the banner; the parts ask it whether they may act. */
  private phase: ConnectionPhase = 'idle';
  private readonly sync: Sync;
  private readonly summaries: Summaries;
  private readonly sender: Sender;
  private readonly uploads: Uploads;
  private readonly typingSignals: Typing;
  private readonly readMarks: CursorMarks;
  private readonly deliveredMarks: CursorMarks;
  private readonly drafts: Drafts;

  constructor(
    readonly store: ChatStore,
    private readonly provider: ImProvider,
    /** Where unsent messages survive reloads. */
    persist: KeyValueStorage,
    /** Where the file of a photo waiting for the connection survives them. */
    keeper: FileKeeper,
  ) {
    const synced = () => this.phase === 'synced';
    this.sync = new Sync(store, provider, synced, {
      received: (msgs) => this.acknowledgeDelivery(msgs),
      unlisted: (ids) => void this.summaries.fetch(ids),
    });
    this.sender = new Sender(store, provider, persist, synced);
    this.uploads = new Uploads(store, provider, this.sender, synced, keeper);
    this.typingSignals = new Typing(store, provider);
    this.readMarks = new CursorMarks(store, (id, seq) => provider.markRead(id, seq));
    this.deliveredMarks = new CursorMarks(store, (id, seq) => provider.delivered(id, seq), DELIVERED_SPACING_MS);
    this.drafts = new Drafts(store, persist);
    this.summaries = new Summaries(store, provider, (ids) => this.drafts.dropped(ids));

    const s = () => this.store.getState();
    s().setSeqGapFree(provider.seqKind === 'gapFree');
    // For the controller's life, which is the app run's: a sign-out stops the connection, and the next
    // sign-in in the same run (mini programs keep the run) needs these again.
    provider.on('msgs', (msgs) => {
      // Asked before receive(), which gives a bare summary to a session it did not hold.
      const unlisted = this.summaries.missing(msgs.map((m) => m.sessionId));
      s().receive(msgs);
      void this.summaries.fetch(unlisted);
      this.sync.noticeGaps();
      const current = s().currentSessionId;
      if (current && msgs.some((m) => m.sessionId === current)) this.readMarks.schedule(current);
      this.acknowledgeDelivery(msgs);
    });
    provider.on('state', (state, err) => this.onProviderState(state, err));
    provider.on('read', (sessionId, account, readSeq) => {
      if (account !== s().me?.account) s().peerRead(sessionId, account, readSeq);
    });
    provider.on('unread', (sessionId, unread) => s().setUnread(sessionId, unread));
    provider.on('delivered', (sessionId, account, seq) => {
      if (account !== s().me?.account) s().peerDelivered(sessionId, account, seq);
    });
    provider.on('presence', (sessionId, presence) => s().setPresence(sessionId, presence));
    provider.on('typing', (sessionId, account) => this.typingSignals.show(sessionId, account));
    provider.on('session', (sessionId) => void this.summaries.fetch([sessionId]));
  }

  /** Connects once per token; calling again with the same token returns the same promise. */
  start(token: string): Promise<void> {
    if (this.started?.token === token) return this.started.done;
    if (this.started) this.provider.disconnect();
    const done = this.provider.connect(token).then((me) => {
      // Saved under the account they were typed for, before another account's sign-in empties the store.
      this.drafts.flush();
      this.store.getState().setMe(me);
      this.drafts.restore(me.account);
      this.uploads.signedIn(me.account);
      void this.uploads.recover(this.sender.restore(me.account));
      // Once a sign-in, with the outbox loaded: what was kept and waits for nothing any more goes.
      void this.uploads.sweep();
      if (!this.chats()) this.setPhase('synced');
    });
    this.started = { token, done };
    done.catch(() => {
      if (this.started?.done === done) this.started = undefined;
    });
    return done;
  }

  /** While the entry page is still signing in: start() then need not wait for the socket's handshake. */
  preconnect(): void {
    if (!this.started) this.provider.preconnect?.();
  }

  /** The sign-in failed: the socket opened for it is closed rather than left to the server's timeout. */
  cancelPreconnect(): void {
    if (!this.started) this.provider.disconnect();
  }

  /** The token changed hands (renewed): later starts with it must not reconnect. */
  adoptToken(token: string): void {
    if (this.started) this.started = { token, done: this.started.done };
  }

  stop(): void {
    this.provider.disconnect();
    this.started = undefined;
    this.sync.stop();
    this.sender.stop();
    this.typingSignals.stop();
    this.readMarks.stop();
    this.deliveredMarks.stop();
    this.drafts.flush();
    this.setPhase('idle');
  }

  /** Messages of the signed-in account the server has not acknowledged: what a sign-out would delete. */
  unsent(): number {
    return this.sender.unsent();
  }

  /**
   * The signed-in account signs out on this device (解除绑定): nothing more of it is sent, and what of
   * its own the device keeps goes: unsent messages, drafts, and files kept for uploads waiting for the
   * connection, and all of it the store holds. Resolves once the files are removed.
   */
  signOut(account: string): Promise<void> {
    // Forgotten before stopping, which would save the drafts only for them to be removed.
    this.sender.signedOut(account);
    this.drafts.signedOut(account);
    this.stop();
    this.store.getState().signOut();
    return this.uploads.signedOut(account);
  }

  /** Back in the foreground: the socket may have died unnoticed and messages may have arrived. */
  resume(): void {
    if (!this.started) return;
    this.provider.resume();
    if (this.phase === 'synced') void this.catchUp();
  }

  /** The one place the phase changes; the store mirrors it (with the text the banner shows). */
  private setPhase(phase: ConnectionPhase, error?: string): void {
    this.phase = phase;
    this.store.getState().setConnection(phase, error);
  }

  private onProviderState(state: ProviderState, err: ImError | undefined): void {
    // A sync retry belongs to the connection it failed on; a new one syncs by itself.
    this.sync.cancelRetry();
    if (state === 'connected') void this.catchUp();
    else if (state === 'connecting') this.setPhase('connecting');
    else this.setPhase(state, errorText(err?.code));
  }

  /**
   * After every (re)connect: fetch what was missed, and only then let the outbox go. A sync that fails
   * on a live connection is retried; one cut by a disconnect waits for the next 'connected'.
   */
  private async catchUp(attempt = 0): Promise<void> {
    if (this.sync.running) return;
    if (!this.chats()) return this.setPhase('synced');
    this.setPhase('syncing');
    const outcome = await this.sync.catchUp();
    // The first sync may go out before sign-in has said who this is.
    if (!this.chats()) return this.setPhase('synced');
    if (outcome.kind === 'synced') {
      this.setPhase('synced');
      void this.sender.pump();
      void this.uploads.resume();
      const current = this.store.getState().currentSessionId;
      if (current) this.readMarks.schedule(current);
    } else if (outcome.kind === 'failed') {
      this.setPhase('disconnected', errorText(outcome.code));
      this.sync.retryLater(attempt, () => void this.catchUp(attempt + 1));
    }
  }

  /**
   * Others' messages reached this device (push or sync): the senders learn it (已送达). Not for the
   * session on screen: its read mark says more and goes out anyway.
   */
  private acknowledgeDelivery(msgs: readonly Message[]): void {
    const s = this.store.getState();
    const me = s.me?.account;
    const sessions = new Set(msgs.filter((m) => m.from !== me && m.seq !== undefined).map((m) => m.sessionId));
    for (const id of sessions) if (id !== s.currentSessionId) this.deliveredMarks.schedule(id);
  }

  /** A pharmacist takes part in no conversation: nothing to sync, the connection is ready once signed in. */
  private chats(): boolean {
    const me = this.store.getState().me;
    return !me || mayRequest(me.role, 'sync');
  }

  private newMessage(sessionId: string, type: MessageType, body: string, attach?: Record<string, unknown>): Message | undefined {
    const me = this.store.getState().me;
    const target = parseSessionId(sessionId);
    if (!me || !target) return undefined;
    this.typingSignals.messageSent(sessionId);
    return {
      ...target,
      sessionId,
      from: me.account,
      fromNick: me.name,
      type,
      body,
      ...(attach ? { attach } : {}),
      idClient: newIdClient(),
      time: Date.now(),
      status: 'sending',
    };
  }

  /** `replyTo`: the held message this one quotes (引用). */
  async sendText(sessionId: string, text: string, replyTo?: ReplyRef): Promise<void> {
    const body = text.trim();
    // Over the limit: the composer says by how much and keeps the text; nothing is cut here either.
    const msg = body && !textOverLimit(body) ? this.newMessage(sessionId, 'text', body) : undefined;
    if (!msg) return;
    this.drafts.clear(sessionId);
    const original = replyTo && this.store.getState().messages.get(sessionId)?.byId.get(replyTo.idClient);
    await this.sender.send(replyTo ? { ...msg, replyTo, ...(original ? { quote: localQuote(original) } : {}) } : msg);
  }

  /** The composer's text changed: kept as the session's draft. */
  setDraft(sessionId: string, text: string): void {
    this.drafts.set(sessionId, text);
  }

  /**
   * Messages on the server matching `query` (newest first, a page at a time). Rejects with the text to
   * show; the page shows held matches before this resolves.
   */
  async search(query: SearchQuery): Promise<SearchPage> {
    let page: SearchPage;
    const reply = replyWrites(this.store);
    try {
      page = await this.provider.search(query);
    } catch (e) {
      throw new Error(failureText(e));
    }
    // Consultations found by their patient's name are held from now on, so that the chat opens named.
    if (page.sessions?.length) reply.setSessions(page.sessions);
    // A hit's session may be one the list does not hold (a doctor's older consultation): named once fetched.
    void this.summaries.fetch(this.summaries.missing(page.hits.map((m) => m.sessionId)));
    return page;
  }

  /** A doctor's presence shown to their patients or not; without `visible` it reads the setting. */
  async presenceVisible(visible?: boolean): Promise<boolean> {
    try {
      return await this.provider.presenceVisible(visible);
    } catch (e) {
      throw new Error(failureText(e));
    }
  }

  /**
   * Loads older pages until the message at `seq` is held (a quote or a search hit to jump to).
   * Resolves whether it is held now.
   */
  async loadUntil(sessionId: string, seq: number): Promise<boolean> {
    for (;;) {
      const held = this.store.getState().messages.get(sessionId);
      if (held && held.order.length && held.minSeq <= seq) return true;
      if (held && !held.hasMore) return false;
      const before = held?.order.length;
      await this.loadOlder(sessionId, HISTORY_PAGE_MAX);
      // A failed page (offline) brings nothing: stop rather than ask again and again.
      if (this.store.getState().messages.get(sessionId)?.order.length === before) return false;
    }
  }

  /** A card of the medical flow; shown at once as the server will stamp it. */
  async sendCard(sessionId: string, draft: CardDraft): Promise<void> {
    const me = this.store.getState().me;
    const msg = me && this.newMessage(sessionId, 'custom', '', { ...draft, doctor: me.name, issuedAt: Date.now() });
    if (msg) await this.sender.send(msg);
  }

  async sendLocation(sessionId: string, geo: GeoAttach): Promise<void> {
    const msg = this.newMessage(sessionId, 'geo', '', { ...geo });
    if (msg) await this.sender.send(msg);
  }

  /**
   * An image, voice clip, video or document: in the list at once from the local file (with upload
   * progress), uploaded, then sent like any message, in the order composed.
   */
  async sendFile(sessionId: string, kind: MediaKind, file: LocalFile): Promise<void> {
    const local = {
      url: file.path,
      name: file.name,
      size: file.size,
      ext: extOfName(file.name),
      ...(file.w !== undefined ? { w: file.w, h: file.h } : {}),
      ...(file.dur !== undefined ? { dur: file.dur } : {}),
      ...(file.poster !== undefined ? { poster: file.poster } : {}),
    };
    const msg = this.newMessage(sessionId, kind, '', local);
    if (msg) await this.uploads.send(msg, kind, file);
  }

  /**
   * Resends with the same idClient: if the server had stored it, it answers with the original ack. A
   * media message whose upload failed is uploaded again first.
   */
  async resend(sessionId: string, idClient: string): Promise<void> {
    const msg = this.store.getState().messages.get(sessionId)?.byId.get(idClient);
    if (!msg || msg.status !== 'sendFailed') return;
    if (awaitsUpload(msg)) return this.uploads.retry(msg);
    await this.sender.send({ ...msg, status: 'sending', error: undefined });
  }

  /** Deletes one's own failed message, which never reached the server (and, for media, its file). */
  discard(sessionId: string, idClient: string): void {
    const msg = this.store.getState().messages.get(sessionId)?.byId.get(idClient);
    if (!msg || msg.status !== 'sendFailed' || msg.seq !== undefined) return;
    if (awaitsUpload(msg)) this.uploads.discard(msg);
    this.sender.discard(msg);
  }

  /**
   * Forwards a stored message to another session; it shows there once stored. Resolves with an error
   * text to show, or undefined.
   */
  async forward(sessionId: string, idClient: string, toSessionId: string): Promise<string | undefined> {
    const msg = this.store.getState().messages.get(sessionId)?.byId.get(idClient);
    if (!msg) return errorText('notFound');
    return this.listReply(() => this.provider.forward(msg, toSessionId, newIdClient()));
  }

  /** Resolves with an error text to show, or undefined when the recall went through. */
  recall(sessionId: string, idClient: string): Promise<string | undefined> {
    return this.listReply(() => this.provider.recall(sessionId, idClient));
  }

  /** Accept, close or cancel this session's consultation; resolves with an error text, or undefined. */
  changeConsultation(sessionId: string, action: ConsultationAction): Promise<string | undefined> {
    return this.listReply(async () => (await this.provider.changeConsultation(sessionId, action)).notice);
  }

  /** A file uploaded on its own, not sent as a message (the records attached to an intake form). */
  upload(kind: MediaKind, file: LocalFile): Promise<FileAttach> {
    return this.provider.upload(kind, file, () => undefined);
  }

  /**
   * An encounter request (identity, consent, intake, rating, quick replies, prescriptions, transfer).
   * What its reply says of the consultation, and any stored message it made (a notice, the intake or
   * prescription card), goes into the store before the reply is returned; failures reject (ImError).
   */
  async encounter<T extends EncounterRequest>(type: T, req: RequestMap[T]['req']): Promise<RequestMap[T]['res']> {
    const reply = replyWrites(this.store);
    const res = await this.provider.encounter(type, req);
    const { consultation, notice, msg } = res as { consultation?: ConsultationInfo; notice?: Message; msg?: Message };
    const sessionId = (req as { sessionId?: string }).sessionId ?? msg?.sessionId ?? notice?.sessionId;
    if (consultation && sessionId) this.store.getState().setConsultation(sessionId, consultation);
    const made = [notice, msg].filter((m): m is Message => m !== undefined);
    if (made.length) reply.receive(made);
    return res;
  }

  /**
   * A pharmacist's live queue: `listener` hears of each prescription issued or reviewed while signed in
   * (the page re-reads its list). Returns the unsubscribe.
   */
  onPrescription(listener: (prescription: PrescriptionRecord) => void): () => void {
    return this.provider.on('rx', listener);
  }

  /** A request whose reply is a stored message for the list: into the store, or the error text to show. */
  private async listReply(request: () => Promise<Message>): Promise<string | undefined> {
    const reply = replyWrites(this.store);
    try {
      reply.receive([await request()]);
      return undefined;
    } catch (e) {
      return errorText(errorCodeOf(e));
    }
  }

  /** Called on every keystroke; sends at most one typing signal per few seconds. */
  typing(sessionId: string): void {
    this.typingSignals.keystroke(sessionId);
  }

  /** The page shows this session: its messages count as read from now on, before any sync. */
  openSessionAsRead(sessionId: string): void {
    this.store.getState().openSessionAsRead(sessionId);
  }

  /**
   * Opens a session as read, fills it to a page if it holds less and there is more (nothing yet, or only
   * what arrived live: a sync brings messages of the most recent sessions only, SYNC_FRESH; a list too
   * short to scroll never asks for older ones), and sends the read mark. Resolves false when the server
   * refused to open it for this account (someone else's consultation, or no such session).
   */
  async enterSession(sessionId: string): Promise<boolean> {
    // Opened from a search hit or a link, outside what the list holds: its consultation comes with it.
    void this.summaries.fetch(this.summaries.missing([sessionId]));
    this.openSessionAsRead(sessionId);
    const held = this.store.getState().messages.get(sessionId);
    if (!held || (held.order.length < PAGE_SIZE && held.hasMore && held.minSeq !== 1)) {
      if ((await this.olderPage(sessionId, PAGE_SIZE)) === 'refused') return false;
    }
    this.readMarks.schedule(sessionId);
    return true;
  }

  /** The page no longer shows the session (hidden or closed): read up to here, and no further. */
  leaveSession(sessionId: string): void {
    this.drafts.flush();
    if (this.store.getState().currentSessionId !== sessionId) return;
    this.readMarks.now(sessionId);
    this.store.getState().closeSession();
  }

  /** Loads the page before the oldest message loaded. Returns false when there is nothing older. */
  async loadOlder(sessionId: string, limit = PAGE_SIZE): Promise<boolean> {
    return (await this.olderPage(sessionId, limit)) !== 'end';
  }

  /** A failed page (offline) may come later: only a refusal or the server's "nothing older" ends it. */
  private async olderPage(sessionId: string, limit: number): Promise<'more' | 'end' | 'failed' | 'refused'> {
    const loaded = this.store.getState().messages.get(sessionId);
    if (loaded && !loaded.hasMore) return 'end';
    const before = loaded && loaded.minSeq > 0 ? loaded.minSeq : undefined;
    const reply = replyWrites(this.store);
    try {
      const page = await this.provider.history(sessionId, before, Math.min(limit, HISTORY_PAGE_MAX));
      reply.mergeHistory(sessionId, page.msgs, page.hasMore);
      return page.hasMore ? 'more' : 'end';
    } catch (e) {
      return NOT_OPENABLE.has(errorCodeOf(e)) ? 'refused' : 'failed';
    }
  }
}
