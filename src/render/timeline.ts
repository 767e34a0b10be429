import type { Message, Quote } from '../../types/message';
import { MEDIA_LABELS, QUOTE_EXCERPT_MAX, RECALL_WINDOW_MS, recallTarget, recalledInfo } from '../../types/message';
import { cardPreview } from './cards';
import { emojiText } from './emoji';
import { timeHeaderLabel } from './time';

/** Messages further apart than this get a time header between them (as WeChat and NIM's demo do). */
export const TIME_HEADER_GAP_MS = 2 * 60 * 1000;

export type TimelineItem =
  | { kind: 'time'; key: string; label: string }
  /** A centred system line; `reedit` is the text of one's own recalled message. */
  | { kind: 'tip'; key: string; text: string; reedit?: string }
  | { kind: 'msg'; key: string; msg: Message; mine: boolean; read: boolean; receipt: string; quote?: QuoteView };

/** The quoted message above a reply: who wrote it and what (or that it was recalled); tapping jumps there. */
export interface QuoteView {
  idClient: string;
  seq: number;
  name: string;
  text: string;
  recalled: boolean;
}

export const QUOTE_RECALLED_TEXT = '引用的消息已撤回';

/**
 * The quote one's own reply shows until the server's copy of it arrives (an ack carries no quote):
 * made from the original as held here, as the server makes it from the stored one.
 */
export function localQuote(original: Message): Quote {
  const text = original.type === 'text' ? Array.from(original.body).slice(0, QUOTE_EXCERPT_MAX).join('') : previewOf(original);
  return {
    idClient: original.idClient,
    seq: original.seq ?? 0,
    from: original.from,
    ...(original.fromNick ? { fromNick: original.fromNick } : {}),
    type: original.type,
    excerpt: text,
  };
}

/**
 * The server's excerpt of a quoted message as the bubble shows it. Recalled when the server says so or
 * when the original held here has been recalled since the reply was stored.
 */
export function quoteView(quote: Quote, myAccount: string | undefined, recalledHere: boolean): QuoteView {
  const recalled = Boolean(quote.recalled) || recalledHere;
  const name = quote.from === myAccount ? '我' : (quote.fromNick ?? quote.from);
  return {
    idClient: quote.idClient,
    seq: quote.seq,
    name,
    text: recalled ? QUOTE_RECALLED_TEXT : quote.type === 'text' ? emojiText(quote.excerpt) : quote.excerpt,
    recalled,
  };
}

/**
 * The element id of a list item, safe as a CSS selector (scroll-into-view looks it up with one):
 * server notices carry ids like `consultation:c1:closed`.
 */
export const itemDomId = (key: string): string => `m-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/**
 * The key of the first item from `from` on that older messages loading above cannot remove: a time
 * header belongs to the gap before its message, so the one above the oldest message held goes when the
 * message before it arrives close in time.
 */
export function keptKeyFrom(items: readonly TimelineItem[], from: number): string | undefined {
  for (let i = from; i < items.length; i++) if (items[i].kind !== 'time') return items[i].key;
  return items[from]?.key;
}

/** Read cursors of the other members of a session, by account. */
export type MemberReads = Readonly<Record<string, number>>;

function recallLine(by: string, nick: string | undefined, myAccount: string | undefined): string {
  return by === myAccount ? '你撤回了一条消息' : `${nick ?? '对方'}撤回了一条消息`;
}

/**
 * "已读"/"未读" as WeChat shows it with one counterpart; with several others "n人已读" until all have.
 * Before anyone read it, "已送达" once it reached a device of every other member.
 */
function receiptOf(msg: Message, reads: MemberReads, deliveredSeq: number): { read: boolean; receipt: string } {
  const cursors = Object.values(reads);
  const readers = msg.seq === undefined ? 0 : cursors.filter((c) => c >= (msg.seq as number)).length;
  const read = msg.status === 'receipt' || (cursors.length > 0 && readers === cursors.length);
  if (read) return { read, receipt: cursors.length > 1 ? '全部已读' : '已读' };
  if (cursors.length > 1 && readers > 0) return { read, receipt: `${readers}人已读` };
  const delivered = msg.seq !== undefined && msg.seq <= deliveredSeq;
  return { read, receipt: delivered ? '已送达' : '未读' };
}

/**
 * Turns ordered messages into what the list shows: time headers where two messages are more than
 * two minutes apart, each message marked as ours or theirs with its read receipt, recalled messages as
 * tips, and recall notices (bookkeeping) left out.
 */
export function buildTimeline(
  msgs: readonly Message[],
  myAccount: string | undefined,
  now: number,
  reads: MemberReads = {},
  /** The session's peerDeliveredSeq. */
  deliveredSeq = 0,
): TimelineItem[] {
  const items: TimelineItem[] = [];
  let prevTime: number | undefined;
  // Originals come before their replies, so this holds every recalled original a reply can name.
  const recalledIds = new Set<string>();
  for (const msg of msgs) {
    if (recallTarget(msg)) continue;
    if (prevTime === undefined || msg.time - prevTime > TIME_HEADER_GAP_MS) {
      items.push({ kind: 'time', key: `t-${msg.idClient}`, label: timeHeaderLabel(msg.time, now) });
    }
    prevTime = msg.time;
    const recalled = recalledInfo(msg);
    if (recalled) recalledIds.add(msg.idClient);
    if (recalled) {
      const text = recallLine(recalled.by, msg.fromNick, myAccount);
      items.push({ kind: 'tip', key: msg.idClient, text, ...(recalled.text !== undefined ? { reedit: recalled.text } : {}) });
    } else if (msg.type === 'tip' || msg.type === 'notification') {
      items.push({ kind: 'tip', key: msg.idClient, text: msg.body });
    } else {
      const mine = msg.from === myAccount;
      const receipt = mine ? receiptOf(msg, reads, deliveredSeq) : { read: false, receipt: '' };
      const quote = msg.quote && quoteView(msg.quote, myAccount, recalledIds.has(msg.quote.idClient));
      items.push({ kind: 'msg', key: msg.idClient, msg, mine, ...receipt, ...(quote ? { quote } : {}) });
    }
  }
  return items;
}

export type MessageAction = 'copy' | 'quote' | 'forward' | 'recall' | 'resend';

/**
 * What a long press on a message offers: quoting any stored message a person sees (the server names
 * it by seq), recall only for one's own stored messages within the window.
 */
export function messageActions(msg: Message, myAccount: string | undefined, now: number, canForward = false): MessageAction[] {
  const actions: MessageAction[] = [];
  if (msg.type === 'text') actions.push('copy');
  const system = msg.type === 'tip' || msg.type === 'notification';
  if (msg.seq !== undefined && !system) actions.push('quote');
  if (canForward && msg.seq !== undefined && !system) actions.push('forward');
  const mine = msg.from === myAccount;
  if (mine && msg.seq !== undefined && now - msg.time <= RECALL_WINDOW_MS) actions.push('recall');
  if (mine && msg.status === 'sendFailed') actions.push('resend');
  return actions;
}

/** One-line preview of a message for the sessions list. */
export function previewOf(msg: Message | undefined, myAccount?: string): string {
  if (!msg) return '';
  const recall = recallTarget(msg) ?? recalledInfo(msg);
  if (recall) return recallLine(recall.by, msg.fromNick, myAccount);
  switch (msg.type) {
    case 'text':
      return emojiText(msg.body);
    case 'tip':
    case 'notification':
      return msg.body;
    case 'image':
    case 'audio':
    case 'video':
    case 'file':
    case 'geo':
      return MEDIA_LABELS[msg.type];
    case 'custom':
      return cardPreview(msg.attach);
  }
}
