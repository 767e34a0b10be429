import { createStore, useStore } from 'zustand';
import type { Ack, Account, ConsultationInfo, Message, PresenceInfo, SessionSummary } from '../../types/message';
import * as R from './reducers';

export type { ChatState, ConnectionPhase, SessionMessages } from './reducers';
export { hasGaps, orderedMessages, syncCursors } from './reducers';
export type { MessageOrder } from './otree';
export type { PMap } from './pmap';

export interface ChatActions {
  setMe(me: Account): void;
  signOut(): void;
  setConnection(connection: R.ConnectionPhase, error?: string): void;
  setSeqGapFree(gapFree: boolean): void;
  addPending(msg: Message): void;
  ack(ack: Ack): void;
  fail(sessionId: string, idClient: string, error: string): void;
  discardUnsent(sessionId: string, idClient: string): void;
  /** `asked`: the store's `drops` when the request this replies to went out (none for a live push). */
  receive(msgs: readonly Message[], asked?: number): void;
  mergeHistory(sessionId: string, msgs: readonly Message[], hasMore: boolean, asked?: number): void;
  setSessions(sessions: readonly SessionSummary[], asked?: number): void;
  removeSessions(sessionIds: readonly string[]): void;
  openSessionAsRead(sessionId: string): void;
  closeSession(): void;
  peerRead(sessionId: string, account: string, readSeq: number): void;
  peerDelivered(sessionId: string, account: string, seq: number): void;
  setPresence(sessionId: string, presence: PresenceInfo): void;
  setDraft(sessionId: string, text: string): void;
  loadDrafts(drafts: Record<string, string>): void;
  setTyping(sessionId: string, account: string | undefined): void;
  setUnread(sessionId: string, unread: number): void;
  setUploadProgress(idClient: string, fraction: number | undefined): void;
  setConsultation(sessionId: string, consultation: ConsultationInfo): void;
}

export type ChatStore = ReturnType<typeof createChatStore>;

/**
 * A store per client: tests run several clients in one process. Plain zustand: every action is one
 * update (`R.Tx`) over persistent structures, which copies only the paths it changes; immer's drafts
 * would copy a changed Map or array whole (see reducers.ts).
 */
export function createChatStore() {
  return createStore<R.ChatState & ChatActions>()((set) => {
    const run = (fn: (tx: R.Tx) => void) =>
      set((s) => {
        const tx = new R.Tx(s);
        fn(tx);
        return tx.commit();
      });
    return {
      ...R.initialChatState(),
      setMe: (me) => run((tx) => R.setMe(tx, me)),
      signOut: () => run((tx) => R.signOut(tx)),
      setConnection: (c, error) => run((tx) => R.setConnection(tx, c, error)),
      setSeqGapFree: (gapFree) => run((tx) => R.setSeqGapFree(tx, gapFree)),
      addPending: (msg) => run((tx) => R.addPending(tx, msg)),
      ack: (ack) => run((tx) => R.ackMessage(tx, ack)),
      fail: (sessionId, idClient, error) => run((tx) => R.failMessage(tx, sessionId, idClient, error)),
      discardUnsent: (sessionId, idClient) => run((tx) => R.discardUnsent(tx, sessionId, idClient)),
      receive: (msgs, asked) => run((tx) => R.receiveMessages(tx, msgs, asked)),
      mergeHistory: (sessionId, msgs, hasMore, asked) => run((tx) => R.mergeHistory(tx, sessionId, msgs, hasMore, asked)),
      setSessions: (sessions, asked) => run((tx) => R.setSessions(tx, sessions, asked)),
      removeSessions: (sessionIds) => run((tx) => R.removeSessions(tx, sessionIds)),
      openSessionAsRead: (sessionId) => run((tx) => R.openSessionAsRead(tx, sessionId)),
      closeSession: () => run((tx) => R.closeSession(tx)),
      peerRead: (sessionId, account, readSeq) => run((tx) => R.peerRead(tx, sessionId, account, readSeq)),
      peerDelivered: (sessionId, account, seq) => run((tx) => R.peerDelivered(tx, sessionId, account, seq)),
      setPresence: (sessionId, presence) => run((tx) => R.setPresence(tx, sessionId, presence)),
      setDraft: (sessionId, text) => run((tx) => R.setDraft(tx, sessionId, text)),
      loadDrafts: (drafts) => run((tx) => R.loadDrafts(tx, drafts)),
      setTyping: (sessionId, account) => run((tx) => R.setTyping(tx, sessionId, account)),
      setUnread: (sessionId, unread) => run((tx) => R.setUnread(tx, sessionId, unread)),
      setUploadProgress: (idClient, fraction) => run((tx) => R.setUploadProgress(tx, idClient, fraction)),
      setConsultation: (sessionId, c) => run((tx) => R.setConsultation(tx, sessionId, c)),
    };
  });
}

/**
 * The store's writes for the reply to a request going out now: what it says of a session dropped while
 * it was out is older than the drop and does not bring the session back (reducers.ts, `dropped`).
 */
export function replyWrites(store: ChatStore) {
  const asked = store.getState().drops;
  return {
    receive: (msgs: readonly Message[]) => store.getState().receive(msgs, asked),
    mergeHistory: (sessionId: string, msgs: readonly Message[], hasMore: boolean) => store.getState().mergeHistory(sessionId, msgs, hasMore, asked),
    setSessions: (sessions: readonly SessionSummary[]) => store.getState().setSessions(sessions, asked),
  };
}

/** The app's one store. */
export const chatStore = createChatStore();

export function useChat<T>(selector: (state: R.ChatState & ChatActions) => T): T {
  return useStore(chatStore, selector);
}
