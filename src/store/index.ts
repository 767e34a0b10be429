import { enableMapSet } from 'immer';
import { createStore, useStore } from 'zustand';
import { immer } from 'zustand/middleware/immer';
import type { Ack, Account, Message, SessionSummary } from '../../types/message';
import * as R from './reducers';

export type { ChatState, ConnectionPhase, SessionMessages } from './reducers';
export { hasGaps, orderedMessages, syncCursors } from './reducers';

export interface ChatActions {
  setMe(me: Account): void;
  setConnection(connection: R.ConnectionPhase, error?: string): void;
  setSeqGapFree(gapFree: boolean): void;
  addPending(msg: Message): void;
  ack(ack: Ack): void;
  fail(sessionId: string, idClient: string, error: string): void;
  receive(msgs: readonly Message[]): void;
  mergeHistory(sessionId: string, msgs: readonly Message[], hasMore: boolean): void;
  setSessions(sessions: readonly SessionSummary[]): void;
  openSessionAsRead(sessionId: string): void;
  closeSession(): void;
  peerRead(sessionId: string, account: string, readSeq: number): void;
  setTyping(sessionId: string, account: string | undefined): void;
  setUnread(sessionId: string, unread: number): void;
  setUploadProgress(idClient: string, fraction: number | undefined): void;
}

// The store's records are Maps (see ChatState); immer drafts them only with this plugin.
enableMapSet();

export type ChatStore = ReturnType<typeof createChatStore>;

/** A store per client: tests run several clients in one process. */
export function createChatStore() {
  return createStore<R.ChatState & ChatActions>()(
    immer((set) => ({
      ...R.initialChatState(),
      setMe: (me) => set((s) => R.setMe(s, me)),
      setConnection: (c, error) => set((s) => R.setConnection(s, c, error)),
      setSeqGapFree: (gapFree) => set((s) => R.setSeqGapFree(s, gapFree)),
      addPending: (msg) => set((s) => R.addPending(s, msg)),
      ack: (ack) => set((s) => R.ackMessage(s, ack)),
      fail: (sessionId, idClient, error) => set((s) => R.failMessage(s, sessionId, idClient, error)),
      receive: (msgs) => set((s) => R.receiveMessages(s, msgs)),
      mergeHistory: (sessionId, msgs, hasMore) => set((s) => R.mergeHistory(s, sessionId, msgs, hasMore)),
      setSessions: (sessions) => set((s) => R.setSessions(s, sessions)),
      openSessionAsRead: (sessionId) => set((s) => R.openSessionAsRead(s, sessionId)),
      closeSession: () => set((s) => R.closeSession(s)),
      peerRead: (sessionId, account, readSeq) => set((s) => R.peerRead(s, sessionId, account, readSeq)),
      setTyping: (sessionId, account) => set((s) => R.setTyping(s, sessionId, account)),
      setUnread: (sessionId, unread) => set((s) => R.setUnread(s, sessionId, unread)),
      setUploadProgress: (idClient, fraction) => set((s) => R.setUploadProgress(s, idClient, fraction)),
    })),
  );
}

/** The app's one store. */
export const chatStore = createChatStore();

export function useChat<T>(selector: (state: R.ChatState & ChatActions) => T): T {
  return useStore(chatStore, selector);
}
