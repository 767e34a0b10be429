/**
 * Domain types modelled on NetEase NIM's IMMessage so that both providers (our server, NIM) map to one shape.
 */

export type Scene = 'p2p' | 'team';

export const MESSAGE_TYPES = [
  'text',
  'image',
  'audio',
  'video',
  'file',
  'geo',
  'custom',
  'tip',
  'notification',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** NIM's statuses: sending/sent/sendFailed on our side, unread/read/receipt for delivery and reading. */
export type MessageStatus = 'sending' | 'sent' | 'sendFailed' | 'read' | 'unread' | 'receipt';

export type Role = 'patient' | 'doctor';

export interface Account {
  account: string;
  name: string;
  role: Role;
}

/** What a client sends: the server fills in the rest. */
export interface OutgoingMessage {
  scene: Scene;
  /** Peer account (p2p) or team id (team). */
  to: string;
  type: MessageType;
  body: string;
  attach?: Record<string, unknown>;
  /** Client-generated uuid; the server deduplicates retries by (from, idClient). */
  idClient: string;
}

export interface Message extends OutgoingMessage {
  /** Viewer-relative, as NIM: `p2p-<peer>` or `team-<teamId>`. */
  sessionId: string;
  from: string;
  /** Sender's display name at send time. */
  fromNick?: string;
  idServer?: string;
  /** Per-conversation, gap-free, from 1. Absent while the message is only local. */
  seq?: number;
  /** Server time in ms (client time while pending). Non-decreasing per conversation. */
  time: number;
  status: MessageStatus;
  /** Why a send failed, shown under the bubble. */
  error?: string;
}

export interface Ack {
  idClient: string;
  idServer: string;
  sessionId: string;
  seq: number;
  time: number;
}

export type ConsultationStatus = 'waiting' | 'inProgress' | 'closed' | 'cancelled';

export interface SessionSummary {
  /** `p2p-<peer>` or `team-<teamId>`. */
  id: string;
  scene: Scene;
  to: string;
  name: string;
  unread: number;
  /** Highest seq stored by the server for this conversation. */
  lastSeq: number;
  lastMsg?: Message;
  /** Highest seq this viewer has read. */
  readSeq: number;
  /** Highest seq the peer (p2p) has read: drives the "已读" receipt on own messages. */
  peerReadSeq: number;
  consultation?: { id: string; status: ConsultationStatus; patient: string; doctor: string };
}

export const sessionIdOf = (scene: Scene, to: string): string => `${scene}-${to}`;

export function parseSessionId(sessionId: string): { scene: Scene; to: string } | undefined {
  const m = /^(p2p|team)-(.+)$/.exec(sessionId);
  return m ? { scene: m[1] as Scene, to: m[2] } : undefined;
}
