import type {
  Account,
  Ack,
  ConsultationAction,
  ConsultationInfo,
  Message,
  MessageType,
  OutgoingMessage,
  PresenceInfo,
  SessionSummary,
} from '../../types/message';
import type { FileAttach, MediaKind } from '../../types/media';
import type { ErrorCode, RequestMap, SessionsFound } from '../../types/protocol';
import type { PrescriptionRecord } from '../../types/prescription';
import type { LocalFile } from '../platform/files';

/** Provider-neutral connection states; the store mirrors them for the banner. */
export type ProviderState = 'connecting' | 'connected' | 'disconnected' | 'authFailed' | 'kicked';

/**
 * Beyond the server's codes: no reply in time, socket gone, device offline, logged in elsewhere, and
 * what the configured IM backend cannot do.
 */
export type ImErrorCode = ErrorCode | 'timeout' | 'disconnected' | 'offline' | 'duplicateLogin' | 'unsupported';

export class ImError extends Error {
  constructor(
    readonly code: ImErrorCode,
    message: string,
    /** The server's own words for the person (e.g. why it refused an upload), shown instead of the code's text. */
    readonly userText?: string,
  ) {
    super(message);
    this.name = 'ImError';
  }
}

/** The code of a provider failure; undefined for anything that is not an ImError (a bug, not the network). */
export const errorCodeOf = (e: unknown): ImErrorCode | undefined => (e instanceof ImError ? e.code : undefined);

/**
 * The connection went while the request was out: its outcome waits for the next connection (the
 * outbox resends, the next 'connected' syncs), it is no failure of the request itself.
 */
export const connectionLost = (e: unknown): boolean => {
  const code = errorCodeOf(e);
  return code === 'disconnected' || code === 'offline';
};

/**
 * Requests of the medical encounter and its prescriptions (issue 17): identity, consent, intake, rating,
 * quick replies, prescribing, review, renewal, transfer. Our server's only: NIM has no such service.
 */
export const ENCOUNTER_REQUESTS = [
  'encounter',
  'identity',
  'consent',
  'intake',
  'rate',
  'quickReplies',
  'prescribe',
  'review',
  'prescriptions',
  'renewRx',
  'transfer',
  'doctors',
] as const;
export type EncounterRequest = (typeof ENCOUNTER_REQUESTS)[number];

export interface ProviderEvents {
  /** Live messages pushed by the server (not replies to our own requests). */
  msgs: (msgs: Message[]) => void;
  /** `connected` fires after every (re)authentication: the moment to sync. */
  state: (state: ProviderState, error?: ImError) => void;
  /** Someone else in the session read up to readSeq. */
  read: (sessionId: string, account: string, readSeq: number) => void;
  /** Our unread count changed elsewhere (another device of ours read the session). */
  unread: (sessionId: string, unread: number) => void;
  /** Someone else in the session is typing (transient, never stored). */
  typing: (sessionId: string, account: string) => void;
  /** Another member's device got the session's messages up to `seq` (our messages show 已送达). */
  delivered: (sessionId: string, account: string, seq: number) => void;
  /** The consultation's doctor came or went (the patient's side only). */
  presence: (sessionId: string, presence: PresenceInfo) => void;
  /** The session token was renewed; the app stores it for the next start. */
  token: (token: string, expiresAt: number) => void;
  /** To a pharmacist: a prescription was issued or its review changed (our server only). */
  rx: (prescription: PrescriptionRecord) => void;
  /** A session changed where no message says so (a consultation opened for us): fetch it with sessions(). */
  session: (sessionId: string) => void;
}

export interface HistoryPage {
  msgs: Message[];
  hasMore: boolean;
}

export interface SearchQuery {
  /** Without it: every conversation the person may read. */
  sessionId?: string;
  text?: string;
  types?: MessageType[];
  /** The previous page's `next`. */
  before?: string;
  limit: number;
}

export interface SearchPage {
  hits: Message[];
  /** Where the next page starts; absent on the last page. */
  next?: string;
  /** A doctor's first page across consultations: those whose patient the text names (types/protocol.ts). */
  sessions?: SessionSummary[];
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
  /**
   * 'gapFree': seqs count each conversation from 1 without holes (our server), so a jump means a message
   * is missing and sync fetches it. 'time': NIM has no sequence; its stand-in seq is the server time, where
   * jumps are normal and the SDK syncs by itself.
   */
  readonly seqKind: 'gapFree' | 'time';
  /** Resolves once authenticated; afterwards reconnects by itself until disconnect(). */
  connect(token: string): Promise<Account>;
  /**
   * Opens the connection while the token is still being obtained (the entry page exchanging its link),
   * so that connect() signs in at once instead of waiting for the handshake. Never reconnects by itself.
   */
  preconnect?(): void;
  disconnect(): void;
  send(msg: OutgoingMessage): Promise<Ack>;
  /** Stores a file for a media message; send() then carries the attach this resolves with. */
  upload(kind: MediaKind, file: LocalFile, onProgress: (fraction: number) => void): Promise<FileAttach>;
  history(sessionId: string, beforeSeq: number | undefined, limit: number): Promise<HistoryPage>;
  sync(cursors: Record<string, number>): Promise<SyncResult>;
  /** The summaries of the sessions named that the person may open; `gone`, those of the others it knows of. */
  sessions(ids: string[]): Promise<SessionsFound>;
  markRead(sessionId: string, seq: number): Promise<void>;
  /** This device got the session's messages up to `seq` (the senders see 已送达). */
  delivered(sessionId: string, seq: number): Promise<void>;
  /** Messages the person may read that match, newest first, a page at a time. */
  search(query: SearchQuery): Promise<SearchPage>;
  /** A doctor shows or hides their presence; without `visible` it only reads the setting. */
  presenceVisible(visible?: boolean): Promise<boolean>;
  /**
   * Copies a stored message of `msg.sessionId` into `toSessionId` as the current user's, under
   * `idClient`; resolves with the copy as stored.
   */
  forward(msg: Message, toSessionId: string, idClient: string): Promise<Message>;
  /** Recalls one's own message; resolves with the notice that turns it into a tip everywhere. */
  recall(sessionId: string, idClient: string): Promise<Message>;
  /** Accept, close or cancel the consultation of a session; resolves with the stored notice. */
  changeConsultation(sessionId: string, action: ConsultationAction): Promise<{ consultation: ConsultationInfo; notice: Message }>;
  /** One encounter request (see ENCOUNTER_REQUESTS); rejects with 'unsupported' where the backend has none. */
  encounter<T extends EncounterRequest>(type: T, req: RequestMap[T]['req']): Promise<RequestMap[T]['res']>;
  /** Tells the others in the session that we are typing. Best effort. */
  typing(sessionId: string): void;
  /** The app came back to the foreground: check the connection now instead of at the next ping. */
  resume(): void;
  on<E extends keyof ProviderEvents>(event: E, handler: ProviderEvents[E]): () => void;
}
