/**
 * NetEase Yunxin's IMMessage and our Message, mapped in this one place and typed by the SDK's own
 * declarations (nim-web-sdk-ng), so an SDK change that breaks the mapping fails to compile. Only types
 * are imported: the SDK itself is loaded by the NIM provider alone.
 *
 * NIM has no per-conversation sequence number. A stored NIM message's `seq` is its server time, which
 * orders it like a seq (time never decreases within a conversation) and serves as the history and
 * receipt cursor, NIM's own model; the store knows such seqs have jumps (ImProvider.seqKind).
 */
import type { IMMessage, TMsgStatus, TMsgType } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/MsgServiceInterface';
import type { UploadFileResult } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/CloudStorageServiceInterface';
import type { Session } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/SessionServiceInterface';
import type { SystemMessage } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/SystemMessageServiceInterface';
import type {
  IBaseSendFileOptions,
  ISendCustomMsgOptions,
  ISendGeoLocationMsgOptions,
  ISendTextMsgOptions,
  ISendTipMsgOptions,
} from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/types';
import type { FileAttach, GeoAttach, MediaKind } from '../../../types/media';
import { isMediaKind } from '../../../types/media';
import type { CardKind } from '../../../types/cards';
import { CARD_TITLES } from '../../../types/cards';
import { MEDIA_LABELS, QUOTE_EXCERPT_MAX, sessionIdOf } from '../../../types/message';
import type { Message, MessageStatus, MessageType, OutgoingMessage, Quote, RecallNotice, SessionSummary } from '../../../types/message';

const MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  amr: 'audio/amr',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  pdf: 'application/pdf',
};


/** NIM statuses are ours by name, but for two: `deleted` (dropped) and `refused` (a failure to show). */
function statusOf(s: TMsgStatus): { status: MessageStatus; error?: string } | undefined {
  if (s === 'deleted') return undefined;
  if (s === 'refused') return { status: 'sendFailed', error: '消息已被对方拒收' };
  return { status: s };
}

/** NIM's file attachment (a NOS upload) as ours; the NOS object has no id of ours, so its md5 or URL stands in. */
export function fileAttachFromNim(kind: MediaKind, f: UploadFileResult): FileAttach & Record<string, unknown> {
  const ext = (f.ext ?? '').toLowerCase();
  return {
    fileId: f.md5 ?? f.url,
    url: f.url,
    name: f.name || `${kind}.${ext}`,
    size: f.size ?? 0,
    ext,
    mime: MIME[ext] ?? 'application/octet-stream',
    ...(f.w !== undefined ? { w: f.w, h: f.h } : {}),
    ...(f.dur !== undefined ? { dur: f.dur } : {}),
    ...(kind === 'image' ? { thumbUrl: f.url } : {}),
  };
}

/** A custom message's attach: the SDK hands it over as a JSON string (or an object wrapping one). */
function customAttach(attach: unknown): Record<string, unknown> {
  const raw = typeof attach === 'string' ? attach : (attach as { raw?: unknown } | undefined)?.raw;
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return attach && typeof attach === 'object' ? (attach as Record<string, unknown>) : {};
}

/** NIM types we do not show as such (robot, g2 calls) become a card no client knows: the safe fallback. */
function typeOf(t: TMsgType): { type: MessageType; unknown?: string } {
  if (t === 'robot' || t === 'g2') return { type: 'custom', unknown: t };
  return { type: t };
}

/** What a quote says of a message, as our server makes it: its first characters, a card's title, or a label. */
function excerptOf(m: Message): string {
  if (m.type === 'text') return Array.from(m.body).slice(0, QUOTE_EXCERPT_MAX).join('');
  if (m.type === 'custom') {
    const title = CARD_TITLES[m.attach?.card as CardKind] as string | undefined;
    return title ? `[${title}]` : '[卡片]';
  }
  return m.type in MEDIA_LABELS ? MEDIA_LABELS[m.type as keyof typeof MEDIA_LABELS] : '';
}

/**
 * A reply's quote. NIM keeps only the reference (threadMessageInfo): no server excerpt, so it is made
 * here from the referred message, when this device has seen it; otherwise the quote names the sender
 * only, and tapping it still finds the original by its time.
 */
function quoteFromNim(m: IMMessage, referred: ((idClient: string) => IMMessage | undefined) | undefined): Quote | undefined {
  const t = m.threadMessageInfo;
  if (!t?.replyMsgIdClient) return undefined;
  const seen = referred?.(t.replyMsgIdClient);
  const original = seen && fromNim(seen);
  return {
    idClient: t.replyMsgIdClient,
    seq: t.replyMsgTime ?? 0,
    from: t.replyMsgFromAccount ?? original?.from ?? '',
    ...(original?.fromNick ? { fromNick: original.fromNick } : {}),
    type: original?.type ?? 'text',
    excerpt: original ? excerptOf(original) : '',
  };
}

/**
 * NIM's message as ours; undefined for what we do not show (deleted messages, super teams). `referred`
 * looks up a message this one replies to, for the quote's excerpt.
 */
export function fromNim(m: IMMessage, referred?: (idClient: string) => IMMessage | undefined): Message | undefined {
  if (m.scene !== 'p2p' && m.scene !== 'team') return undefined;
  const status = statusOf(m.status);
  if (!status) return undefined;
  const { type, unknown } = typeOf(m.type);
  let attach: Record<string, unknown> | undefined;
  if (unknown) attach = { card: `nim:${unknown}` };
  else if (isMediaKind(type) && m.attach) attach = fileAttachFromNim(type, m.attach as UploadFileResult);
  else if (type === 'custom') attach = customAttach(m.attach);
  else if (m.attach) attach = { ...m.attach };
  const quote = quoteFromNim(m, referred);
  return {
    scene: m.scene,
    sessionId: m.sessionId,
    from: m.from,
    ...(m.fromNick ? { fromNick: m.fromNick } : {}),
    to: m.to,
    type,
    body: m.body ?? '',
    ...(attach ? { attach } : {}),
    idClient: m.idClient,
    ...(m.idServer ? { idServer: m.idServer, seq: m.time } : {}),
    time: m.time,
    status: status.status,
    ...(status.error ? { error: status.error } : {}),
    ...(quote ? { quote } : {}),
  };
}

/** The SDK call that sends an outgoing message, with its options typed by the SDK. */
export type NimSend =
  | { method: 'sendTextMsg'; options: ISendTextMsgOptions }
  | { method: 'sendTipMsg'; options: ISendTipMsgOptions }
  | { method: 'sendGeoLocationMsg'; options: ISendGeoLocationMsgOptions }
  | { method: 'sendCustomMsg'; options: ISendCustomMsgOptions }
  | { method: 'sendImageMsg' | 'sendAudioMsg' | 'sendVideoMsg' | 'sendFileMsg'; options: IBaseSendFileOptions };

const FILE_METHOD = {
  image: 'sendImageMsg',
  audio: 'sendAudioMsg',
  video: 'sendVideoMsg',
  file: 'sendFileMsg',
} as const;

/** Our attach of a file NIM stored (see fileAttachFromNim) as the SDK's upload result, to send it. */
function uploadResultOf(attach: Record<string, unknown> | undefined): UploadFileResult {
  const a = (attach ?? {}) as Partial<FileAttach> & { w?: number; h?: number; dur?: number };
  if (typeof a.url !== 'string') throw new Error('a media message for NIM needs its uploaded file');
  return {
    name: a.name ?? '',
    url: a.url,
    ext: a.ext ?? '',
    ...(a.size ? { size: a.size } : {}),
    ...(a.fileId && a.fileId !== a.url ? { md5: a.fileId } : {}),
    ...(a.w !== undefined ? { w: a.w, h: a.h } : {}),
    ...(a.dur !== undefined ? { dur: a.dur } : {}),
  };
}

/**
 * How to send `msg` through NIM. Our idClient goes along, so NIM deduplicates retries as our server
 * does. Media were uploaded to NIM's storage first (the provider's upload); their attach names it.
 * A reply carries the SDK's copy of the quoted message (`replyMsg`), from which NIM fills the reply's
 * threadMessageInfo.
 */
export function toNimSend(msg: OutgoingMessage, replyMsg?: IMMessage): NimSend {
  const base = { scene: msg.scene, to: msg.to, idClient: msg.idClient, ...(replyMsg ? { replyMsg } : {}) };
  switch (msg.type) {
    case 'text':
      return { method: 'sendTextMsg', options: { ...base, body: msg.body } };
    case 'tip':
      return { method: 'sendTipMsg', options: { ...base, body: msg.body } };
    case 'geo':
      return { method: 'sendGeoLocationMsg', options: { ...base, attach: msg.attach as unknown as GeoAttach } };
    case 'custom':
      return { method: 'sendCustomMsg', options: { ...base, attach: JSON.stringify(msg.attach ?? {}) } };
    case 'image':
    case 'audio':
    case 'video':
    case 'file':
      return { method: FILE_METHOD[msg.type], options: { ...base, attach: uploadResultOf(msg.attach) } };
    case 'notification':
      throw new Error('notifications come from the server, not from clients');
  }
}

/** A NIM session as our sessions-list row; its receipt times are our read cursors (seq = time). */
export function sessionFromNim(s: Session, myAccount: string): SessionSummary | undefined {
  if (s.scene !== 'p2p' && s.scene !== 'team') return undefined;
  const last = s.lastMsg ? fromNim(s.lastMsg) : undefined;
  const peerNick = last && last.from !== myAccount ? last.fromNick : undefined;
  return {
    id: s.id,
    scene: s.scene,
    to: s.to,
    name: s.scene === 'p2p' ? (peerNick ?? s.to) : s.to,
    unread: s.unread,
    lastSeq: last?.seq ?? 0,
    ...(last ? { lastMsg: last } : {}),
    readSeq: s.ack ?? 0,
    peerReadSeq: s.msgReceiptTime ?? 0,
    memberReads: s.scene === 'p2p' && s.msgReceiptTime ? { [s.to]: s.msgReceiptTime } : {},
    // NIM acks no delivery to the sender: only a read receipt says the message got there.
    peerDeliveredSeq: s.msgReceiptTime ?? 0,
  };
}

/** Ours for a recall: a stored notification naming the recalled message (types/message RecallNotice). */
export function recallNotice(target: Pick<Message, 'scene' | 'to' | 'idClient'>, by: string, time: number, idServer?: string): Message {
  const attach: RecallNotice = { recall: { idClient: target.idClient, by } };
  return {
    scene: target.scene,
    to: target.to,
    sessionId: sessionIdOf(target.scene, target.to),
    from: by,
    type: 'notification',
    body: '',
    attach: { ...attach },
    idClient: `recall:${target.idClient}`,
    ...(idServer ? { idServer } : {}),
    seq: time,
    time,
    status: 'sent',
  };
}

/** NIM reports a recall to the others as a system message. */
export function recallFromNim(sys: SystemMessage, myAccount: string): Message | undefined {
  const info = sys.recallMessageInfo;
  const scene = sys.type === 'recallMsgP2p' ? 'p2p' : sys.type === 'recallMsgTeam' ? 'team' : undefined;
  if (!info || !scene) return undefined;
  const to = scene === 'team' || sys.from === myAccount ? sys.to : sys.from;
  return recallNotice({ scene, to, idClient: info.idClient }, sys.from, sys.time, sys.idServer);
}
