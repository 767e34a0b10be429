import type { Message, Quote } from '../../types/message';
import { MEDIA_LABELS, QUOTE_EXCERPT_MAX, RECALL_WINDOW_MS, recallTarget, recalledInfo } from '../../types/message';
import { cardPreview } from './cards';
import { emojiText } from './emoji';
import { startOfDay, timeHeaderLabel } from './time';

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
function receiptOf(msg: Message, cursors: readonly number[], deliveredSeq: number): { read: boolean; receipt: string } {
  const readers = msg.seq === undefined ? 0 : cursors.filter((c) => c >= (msg.seq as number)).length;
  const read = msg.status === 'receipt' || (cursors.length > 0 && readers === cursors.length);
  if (read) return { read, receipt: cursors.length > 1 ? '全部已读' : '已读' };
  if (cursors.length > 1 && readers > 0) return { read, receipt: `${readers}人已读` };
  const delivered = msg.seq !== undefined && msg.seq <= deliveredSeq;
  return { read, receipt: delivered ? '已送达' : '未读' };
}

/**
 * The items an earlier build made, reused while what they show is the same. A chat page rebuilds its
 * timeline on every change of its session; making every item again (each time header's label above
 * all) cost a live message in a 10,000-message chat tens of milliseconds, several times that on a
 * phone. The store replaces a message's object whenever it changes, so an item is found by its
 * message's object.
 */
export class TimelineCache {
  items = new WeakMap<Message, TimelineItem>();
  headers = new WeakMap<Message, TimelineItem>();
  /** The day the headers were labelled on ('今天' turns into '昨天' at midnight). */
  day = Number.NaN;
  /** Whose items they are: 'mine', receipts and recall lines depend on it. */
  account: string | undefined;
}

const sameItem = (a: TimelineItem, receipt: { read: boolean; receipt: string }, quoteRecalled: boolean | undefined): boolean =>
  a.kind === 'msg' && a.read === receipt.read && a.receipt === receipt.receipt && a.quote?.recalled === quoteRecalled;

/**
 * Turns ordered messages into what the list shows: time headers where two messages are more than
 * two minutes apart, each message marked as ours or theirs with its read receipt, recalled messages as
 * tips, and recall notices (bookkeeping) left out. With a cache, an item whose message, receipt and
 * quote are unchanged is the same object as before.
 */
export function buildTimeline(
  msgs: readonly Message[],
  myAccount: string | undefined,
  now: number,
  reads: MemberReads = {},
  /** The session's peerDeliveredSeq. */
  deliveredSeq = 0,
  cache = new TimelineCache(),
  /**
   * The session's held message by idClient, when `msgs` are only some of them (the chat page's span):
   * a reply's original recalled before the span still shows as recalled.
   */
  original?: (idClient: string) => Message | undefined,
): TimelineItem[] {
  const items: TimelineItem[] = [];
  const day = startOfDay(now);
  if (cache.day !== day) {
    cache.day = day;
    cache.headers = new WeakMap();
  }
  if (cache.account !== myAccount) {
    cache.account = myAccount;
    cache.items = new WeakMap();
  }
  const cursors = Object.values(reads);
  let prevTime: number | undefined;
  // Originals come before their replies, so this holds every recalled original among `msgs` a reply can name.
  const recalledIds = new Set<string>();
  const recalledHere = (idClient: string) => {
    if (recalledIds.has(idClient)) return true;
    const m = original?.(idClient);
    return m !== undefined && recalledInfo(m) !== undefined;
  };
  for (const msg of msgs) {
    if (recallTarget(msg)) continue;
    if (prevTime === undefined || msg.time - prevTime > TIME_HEADER_GAP_MS) {
      let header = cache.headers.get(msg);
      if (!header) cache.headers.set(msg, (header = { kind: 'time', key: `t-${msg.idClient}`, label: timeHeaderLabel(msg.time, now) }));
      items.push(header);
    }
    prevTime = msg.time;
    const recalled = recalledInfo(msg);
    if (recalled) recalledIds.add(msg.idClient);
    const held = cache.items.get(msg);
    if (recalled || msg.type === 'tip' || msg.type === 'notification') {
      if (held) {
        items.push(held);
        continue;
      }
      const tip: TimelineItem = recalled
        ? { kind: 'tip', key: msg.idClient, text: recallLine(recalled.by, msg.fromNick, myAccount), ...(recalled.text !== undefined ? { reedit: recalled.text } : {}) }
        : { kind: 'tip', key: msg.idClient, text: msg.body };
      cache.items.set(msg, tip);
      items.push(tip);
      continue;
    }
    const mine = msg.from === myAccount;
    const receipt = mine ? receiptOf(msg, cursors, deliveredSeq) : { read: false, receipt: '' };
    const quoteRecalled = msg.quote && (Boolean(msg.quote.recalled) || recalledHere(msg.quote.idClient));
    if (held && sameItem(held, receipt, quoteRecalled)) {
      items.push(held);
      continue;
    }
    const quote = msg.quote && quoteView(msg.quote, myAccount, quoteRecalled === true);
    const item: TimelineItem = { kind: 'msg', key: msg.idClient, msg, mine, ...receipt, ...(quote ? { quote } : {}) };
    cache.items.set(msg, item);
    items.push(item);
  }
  return items;
}

export type MessageAction = 'copy' | 'quote' | 'forward' | 'recall' | 'resend' | 'delete';

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
  if (mine && msg.status === 'sendFailed') actions.push('resend', 'delete');
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
