/**
 * The wire protocol between clients and our IM server: JSON text frames over one WebSocket.
 * Every frame carries the protocol version `v`. Requests carry an `id` that the reply echoes.
 */
import type { EncounterView, IdentityRecord, IntakeForm, QuickReply, QuickReplyOp, Rating, RatingInput } from './encounter';
import type { Account, Ack, ConsultationAction, ConsultationInfo, Message, MessageType, OutgoingMessage, PresenceInfo, Role, SessionSummary } from './message';
import type { TransferTarget } from './transfer';
import type { PrescriptionDraft, PrescriptionRecord, PrescriptionState, ReviewDecision, ReviewIntake, ReviewPatient } from './prescription';

export const PROTOCOL_VERSION = 1;

/** Larger frames are refused before parsing. Text bodies have their own, smaller limit. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const HISTORY_PAGE_MAX = 100;
/**
 * What a sync brings of sessions the client holds no cursor for (a new device, a reload of the H5 page,
 * a session new to it): the newest page of each of the most recent ones, nothing of the others, whose
 * messages come by `history` when they are opened. A doctor's list of hundreds of consultations would
 * otherwise ship every message of every one of them on each page load.
 */
export const SYNC_FRESH = { sessions: 20, messages: 30 } as const;
/** Most sessions one `sessions` request names. */
export const SESSIONS_BY_ID_MAX = 50;
export const SEARCH_PAGE_MAX = 50;
/** Shortest search text (in characters): shorter finds too much to be of use. */
export const SEARCH_TEXT_MIN = 1;
export const SEARCH_TEXT_MAX = 100;
/** Most consultations a doctor's search names by their patient (`search` reply's `sessions`). */
export const SEARCH_SESSIONS_MAX = 20;

/**
 * The reply to `sessions`: the summaries found, and `gone`, every other id asked. The server says
 * nothing more of those (an id of someone else's session and one that names nothing look the same);
 * the client drops what it holds of them: the person may no longer open them (a p2p chat whose
 * consultation was transferred away), or never could.
 */
export interface SessionsFound {
  sessions: SessionSummary[];
  gone: string[];
}

/** Request name -> request payload and reply payload. */
export interface RequestMap {
  /**
   * `deviceId` names one client instance (a tab, an app install): a new connection with the same id
   * replaces the old one silently; more devices than the server allows log the oldest out.
   */
  auth: {
    req: { token: string; deviceId?: string };
    res: { me: Account; serverTime: number; tokenExpiresAt: number };
  };
  /** A fresh token before the current one expires (ZIM's tokenWillExpire). */
  renew: { req: Record<never, never>; res: { token: string; expiresAt: number } };
  send: { req: { msg: OutgoingMessage }; res: Ack };
  history: {
    req: { sessionId: string; beforeSeq?: number; limit: number };
    res: { msgs: Message[]; hasMore: boolean };
  };
  /**
   * Everything after the given per-session seq cursors (of sessions without one: SYNC_FRESH), plus the
   * sessions list. `complete` is false when a per-session limit cut the reply: the client syncs again
   * from its new cursors.
   */
  sync: {
    req: { cursors: Record<string, number> };
    res: { msgs: Message[]; sessions: SessionSummary[]; complete: boolean };
  };
  /**
   * The summaries of the named sessions the viewer may open: one a doctor's sync does not list
   * (types/encounter.ts listedInDoctorSync) when it is opened, found or written to, one a `session`
   * push names, one a complete sync left out.
   */
  sessions: { req: { ids: string[] }; res: SessionsFound };
  markRead: { req: { sessionId: string; seq: number }; res: { readSeq: number } };
  /**
   * The receiving client says messages up to `seq` reached this device (sent on push and after sync);
   * the server keeps the highest per member and tells the senders (`delivered` push).
   */
  delivered: { req: { sessionId: string; seq: number }; res: { deliveredSeq: number } };
  /**
   * Messages the viewer may read that match `text` (case-insensitive substring of the decrypted body,
   * card titles, file names) and/or `types`, newest first. Without `sessionId`: every conversation the
   * viewer may read (a doctor's search across consultations). `before` pages on (the previous reply's
   * `next`). Only ids and counts of a search are ever logged.
   */
  search: {
    req: { sessionId?: string; text?: string; types?: MessageType[]; before?: string; limit: number };
    /**
     * `sessions`: on a doctor's first page across consultations, those whose patient the text names
     * (types/encounter.ts namesPatient), newest first, at most SEARCH_SESSIONS_MAX: the workbench holds
     * only today's, and the older ones are found by their patient's name too.
     */
    res: { hits: Message[]; next?: string; sessions?: SessionSummary[] };
  };
  /** A doctor shows or hides their presence from their patients; `visible` omitted reads it. */
  presence: { req: { visible?: boolean }; res: { visible: boolean } };
  /** Recall one's own message within RECALL_WINDOW_MS; the reply is the stored recall notice. */
  recall: { req: { sessionId: string; idClient: string }; res: { notice: Message } };
  /**
   * A copy of a message held in `sessionId` (sent by `from`) into `toSessionId`, from the forwarder,
   * under `newIdClient` (retries deduplicate on it). Only to people who can already see the original.
   */
  forward: {
    req: { sessionId: string; from: string; idClient: string; toSessionId: string; newIdClient: string };
    res: { msg: Message };
  };
  /** Transient "typing" signal: forwarded to the other members' connections, never stored. */
  typing: { req: { sessionId: string }; res: Record<never, never> };
  /**
   * Consultation lifecycle: the doctor accepts (waiting → inProgress) and closes (→ closed); the patient
   * may cancel while waiting. The change is stored as a notification message in the conversation.
   */
  consultation: {
    req: { sessionId: string; action: ConsultationAction };
    res: { consultation: ConsultationInfo; notice: Message };
  };
  ping: { req: Record<never, never>; res: { serverTime: number } };
  /**
   * The consultation's doctor issues a prescription (issue 17): the server signs it and stores it as a
   * custom message (card 'rx', pending review); `idClient` deduplicates retries like a send.
   */
  prescribe: {
    req: { sessionId: string; idClient: string; rx: PrescriptionDraft };
    res: { msg: Message; prescription: PrescriptionRecord };
  };
  /** A pharmacist approves or rejects (with a reason) a pending prescription. */
  review: {
    req: { prescriptionId: string; decision: ReviewDecision; reason?: string };
    res: { prescription: PrescriptionRecord };
  };
  /** The pharmacist's queue: prescriptions in `state` (default pending, oldest first), with what the review needs. */
  prescriptions: {
    req: { state?: PrescriptionState; afterIssuedAt?: number; limit: number };
    res: { items: PharmacistItem[] };
  };
  /** The patient asks to renew (续方) an approved prescription; the doctor sees the stored request. */
  renewRx: { req: { prescriptionId: string }; res: { notice: Message } };
  /** The consultation's doctor hands it to another doctor of the hospital (转诊). */
  transfer: {
    req: { sessionId: string; to: string };
    res: { consultation: ConsultationInfo; notice: Message };
  };
  /**
   * The hospital's other doctors a consultation may be transferred to, by name (`filter`), at most
   * `limit` (DOCTORS_LIMITS, types/transfer.ts), the asking doctor left out. Doctors only.
   */
  doctors: { req: { filter?: string; limit?: number }; res: { doctors: TransferTarget[] } };
  /**
   * The encounter around a consultation as this viewer may see it (types/encounter.ts): identity,
   * consent text and agreement, intake, the doctor's verified identity, rating, follow-ups.
   */
  encounter: { req: { sessionId: string }; res: { consultation: ConsultationInfo; encounter: EncounterView } };
  /** The patient confirms one of the hospital's records (`candidates` index) as who this consultation is for. */
  identity: { req: { sessionId: string; candidate: number }; res: { consultation: ConsultationInfo; encounter: EncounterView } };
  /**
   * The patient agrees to the consent text of `version` (the one `encounter` showed; a newer one is
   * refused with badFrame so it is read first). Stored with the time, audited, and told to the doctor
   * by a stored notification. Needs a confirmed identity (`identityRequired`).
   */
  consent: { req: { sessionId: string; version: string }; res: { consultation: ConsultationInfo; notice: Message } };
  /** The patient's intake form, once, after consent and before or beside their first message: stored as the first card. */
  intake: { req: { sessionId: string; form: IntakeForm }; res: { msg: Message; consultation: ConsultationInfo } };
  /** The patient rates a closed consultation, once (`alreadyRated` after). */
  rate: { req: { sessionId: string; rating: RatingInput }; res: { rating: Rating } };
  /** The signed-in doctor's own quick replies (常用语): read, add/edit, delete, reorder. Doctors only. */
  quickReplies: { req: QuickReplyOp; res: { replies: QuickReply[] } };
}
export type RequestType = keyof RequestMap;

/** One prescription as the pharmacist reviews it: the card and its state, never the chat. */
export interface PharmacistItem {
  prescription: PrescriptionRecord;
  /** From the confirmed identity: masked name, sex, age. */
  patient?: ReviewPatient;
  intake?: ReviewIntake;
}

/**
 * Who may send which request: the one place the gateway refuses by role. A pharmacist reviews
 * prescriptions and nothing else: no chat (send, forward, recall, typing), no history or sync.
 */
export const REQUEST_ROLES: Readonly<Record<RequestType, readonly Role[]>> = {
  auth: ['patient', 'doctor', 'pharmacist'],
  renew: ['patient', 'doctor', 'pharmacist'],
  ping: ['patient', 'doctor', 'pharmacist'],
  send: ['patient', 'doctor'],
  history: ['patient', 'doctor'],
  sync: ['patient', 'doctor'],
  sessions: ['patient', 'doctor'],
  markRead: ['patient', 'doctor'],
  delivered: ['patient', 'doctor'],
  search: ['patient', 'doctor'],
  // A patient asking is told that only doctors' presence is shown (the handler's own refusal).
  presence: ['patient', 'doctor'],
  recall: ['patient', 'doctor'],
  forward: ['patient', 'doctor'],
  typing: ['patient', 'doctor'],
  consultation: ['patient', 'doctor'],
  prescribe: ['doctor'],
  review: ['pharmacist'],
  prescriptions: ['pharmacist'],
  renewRx: ['patient'],
  transfer: ['doctor'],
  doctors: ['doctor'],
  // The encounter's own rules (server/encounter) say which of patient and doctor; a pharmacist none.
  encounter: ['patient', 'doctor'],
  identity: ['patient', 'doctor'],
  consent: ['patient', 'doctor'],
  intake: ['patient', 'doctor'],
  rate: ['patient', 'doctor'],
  quickReplies: ['patient', 'doctor'],
};

export const mayRequest = (role: Role, type: RequestType): boolean => REQUEST_ROLES[type].includes(role);

/**
 * The same rule for what a person's token asks over HTTP: an upload goes into a conversation (a
 * message, the intake) and a NetEase account is a chat account, so a pharmacist has neither.
 */
export const HTTP_REQUEST_ROLES = {
  upload: ['patient', 'doctor'],
  nimToken: ['patient', 'doctor'],
} as const satisfies Record<string, readonly Role[]>;

export const mayRequestHttp = (role: Role, type: keyof typeof HTTP_REQUEST_ROLES): boolean =>
  (HTTP_REQUEST_ROLES[type] as readonly Role[]).includes(role);

export type RequestFrame<T extends RequestType = RequestType> = T extends RequestType
  ? { v: typeof PROTOCOL_VERSION; id: string; type: T } & RequestMap[T]['req']
  : never;

export type ReplyFrame<T extends RequestType = RequestType> = {
  v: typeof PROTOCOL_VERSION;
  type: 'reply';
  id: string;
  data: RequestMap[T]['res'];
};

export const ERROR_CODES = [
  'badFrame',
  'frameTooLarge',
  'unsupportedVersion',
  'unauthenticated',
  'authFailed',
  'tokenExpired',
  'forbidden',
  'notFound',
  'invalidMessage',
  'messageTooLarge',
  'recallExpired',
  /** Upload refused: content not of an accepted format for its kind, forged extension, bad form. */
  'invalidUpload',
  'fileTooLarge',
  /** The consultation is closed, cancelled or past its time limit: no more messages. */
  'consultationClosed',
  /** The patient used up the consultation's message quota. */
  'quotaExceeded',
  /** Too many messages per second on this connection; the connection stays open. */
  'rateLimited',
  /** The text contains words the hospital blocks. */
  'contentBlocked',
  /** A reply's `replyTo` names no message of this conversation the sender can see. */
  'invalidReply',
  /** A consultation change that is not allowed from its state or for this role. */
  'invalidTransition',
  /** SMS link login: the one-time link is past its lifetime, or was already used. */
  'linkExpired',
  'linkUsed',
  /** Mini-program sign-in: this platform user is bound to no account yet (open the hospital's link once). */
  'notBound',
  /** Mini-program sign-in: the platform refused the login code (wrong, expired or used): get a fresh one. */
  'codeInvalid',
  /** A platform's server (WeChat, Alipay, Douyin) did not answer in time, or refused our server. */
  'platformError',
  /** A prescription names a drug of a category that is never prescribed online (互联网诊疗管理办法 第十九条). */
  'drugNotAllowed',
  /** The patient has not agreed to the consultation's informed consent yet: no patient message is taken. */
  'consentRequired',
  /** Consent needs a confirmed identity first (the patient picks one of the hospital's records). */
  'identityRequired',
  /** The consultation was rated already (once per consultation). */
  'alreadyRated',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorFrame {
  v: typeof PROTOCOL_VERSION;
  type: 'error';
  /** The request this answers, when the frame could be read far enough to know it. */
  id?: string;
  code: ErrorCode;
  message: string;
}

/** Server pushes. */
export type PushFrame =
  | { v: typeof PROTOCOL_VERSION; type: 'msg'; msg: Message }
  | { v: typeof PROTOCOL_VERSION; type: 'read'; sessionId: string; account: string; readSeq: number }
  | { v: typeof PROTOCOL_VERSION; type: 'unread'; sessionId: string; unread: number }
  | { v: typeof PROTOCOL_VERSION; type: 'typing'; sessionId: string; account: string }
  /** A session of yours changed where no message says so (a consultation opened for you): fetch it with `sessions`. */
  | { v: typeof PROTOCOL_VERSION; type: 'session'; sessionId: string }
  | { v: typeof PROTOCOL_VERSION; type: 'delivered'; sessionId: string; account: string; deliveredSeq: number }
  /** The consultation's doctor came or went (to that consultation's patient only). */
  | { v: typeof PROTOCOL_VERSION; type: 'presence'; sessionId: string; presence: PresenceInfo }
  /** Sent before the server closes a connection because the account logged in on too many devices. */
  | { v: typeof PROTOCOL_VERSION; type: 'kicked'; reason: KickReason }
  /** To pharmacists: a prescription was issued or its review state changed (patient and doctor learn it from the stored notice). */
  | { v: typeof PROTOCOL_VERSION; type: 'rx'; prescription: PrescriptionRecord };

export type KickReason = 'duplicateLogin';
/** Close code that goes with a kick: clients must not reconnect on their own after it. */
export const CLOSE_KICKED = 4002;
/** The session was revoked (logout elsewhere, the hospital): a reconnect is refused with authFailed. */
export const CLOSE_REVOKED = 4003;
/**
 * The server is restarting (WebSocket close code 1012, "service restart"): what was sent before it was
 * answered; reconnect at once (another process behind the same address takes over), not an error.
 */
export const CLOSE_RESTART = 1012;

export type ServerFrame = ReplyFrame | ErrorFrame | PushFrame;

/** `POST /api/nim/token`: what the NIM provider logs in with (the app secret never leaves the server). */
export interface NimCredentials {
  appKey: string;
  /** The NIM account (accid): ours, one to one. */
  account: string;
  token: string;
  /** Who this is in our system (name, role), which NIM's login does not say. */
  me: Account;
}

export const NIM_TOKEN_PATH = '/api/nim/token';

/**
 * Notifications to people who left the chat (issue 16). `POST NOTIFY_CONSENT_PATH` (Bearer session
 * token) reports what the person answered to the platform's subscription prompt, per template id:
 * each 'accept' lets the server send one notice with that template; 'reject', 'ban' and 'filter' end it.
 */
export const NOTIFY_CONSENT_PATH = '/api/notify/consent';
export interface NotifyConsentRequest {
  platform: 'weapp' | 'alipay' | 'tt';
  /** What Taro.requestSubscribeMessage resolved with: template id → answer (other keys such as errMsg are ignored). */
  results: Record<string, string>;
}
export interface NotifyConsentReply {
  /** Sends left per configured template id of that platform. */
  remaining: Record<string, number>;
}

/** `GET` (the settings) or `POST { enabled }` (reminders on/off), Bearer session token. */
export const NOTIFY_SETTINGS_PATH = '/api/notify/settings';
export interface NotifySettings {
  enabled: boolean;
  /** Template ids to ask consent for, per platform configured on this server (ask on a tap). */
  templates: Partial<Record<'weapp' | 'alipay' | 'tt', string[]>>;
  /** Whether the hospital's SMS gateway is configured (H5 users are reached by SMS). */
  sms: boolean;
  /** Sends left per platform and template. */
  consents: Array<{ platform: string; template: string; remaining: number }>;
}

/**
 * The hospital API of the encounter (admin key): `GET RECORD_PATH?id=<consultation>` returns the
 * consultation's record for the medical-record system; `GET RATINGS_PATH?doctor=&after=&limit=` pages
 * the ratings. Creating a consultation (`POST /api/consultations`) may carry `identity` (or
 * `identities` for the patient to confirm one), `consent`, `intake` and the doctor's verified identity.
 */
export const RECORD_PATH = '/api/consultations/record';
export const RATINGS_PATH = '/api/ratings';

export interface ConsultationRecord {
  consultation: ConsultationInfo;
  /** The full identity (the hospital's own data, back to it). */
  identity?: IdentityRecord;
  consent?: { version: string; acceptedAt: number; by: 'hospital' | 'patient' };
  /** Every message, decrypted, in order (recalled ones marked, their text kept for the record). */
  messages: Array<Message & { recalled?: boolean }>;
  /** The cards among them (intake, prescriptions…) by seq, with what each card's state is now. */
  cards: Array<{ seq: number; card: string; attach: Record<string, unknown>; state?: string }>;
  rating?: Rating;
}

export interface RatingsPage {
  ratings: Rating[];
  /** Pass as `after` for the next page; absent on the last. */
  next?: string;
}
