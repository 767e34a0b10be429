import type { Account, Ack, Message, OutgoingMessage, SessionSummary } from '../../types/message';
import type { ErrorCode } from '../../types/protocol';

/** Provider-neutral connection states; the store mirrors them for the banner. */
export type ProviderState = 'connecting' | 'connected' | 'disconnected' | 'authFailed';

export type ImErrorCode = ErrorCode | 'timeout' | 'disconnected';

export class ImError extends Error {
  constructor(
    readonly code: ImErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImError';
  }
}

export interface ProviderEvents {
  /** Live messages pushed by the server (not replies to our own requests). */
  msgs: (msgs: Message[]) => void;
  /** `connected` fires after every (re)authentication: the moment to sync. */
  state: (state: ProviderState, error?: ImError) => void;
  /** Someone else in the session read up to readSeq. */
  read: (sessionId: string, account: string, readSeq: number) => void;
  /** Our unread count changed elsewhere (another device of ours read the session). */
  unread: (sessionId: string, unread: number) => void;
}

export interface HistoryPage {
  msgs: Message[];
  hasMore: boolean;
}

export interface SyncResult {
  msgs: Message[];
  sessions: SessionSummary[];
  complete: boolean;
}

/**
 * What the app needs from an IM backend. Implemented by the local provider (our server) and the NIM
 * provider (NetEase Yunxin).
 */
export interface ImProvider {
  /** Resolves once authenticated; afterwards reconnects by itself until disconnect(). */
  connect(token: string): Promise<Account>;
  disconnect(): void;
  send(msg: OutgoingMessage): Promise<Ack>;
  history(sessionId: string, beforeSeq: number | undefined, limit: number): Promise<HistoryPage>;
  sync(cursors: Record<string, number>): Promise<SyncResult>;
  markRead(sessionId: string, seq: number): Promise<void>;
  on<E extends keyof ProviderEvents>(event: E, handler: ProviderEvents[E]): () => void;
}
