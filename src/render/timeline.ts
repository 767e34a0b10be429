import type { Message } from '../../types/message';
import { RECALL_WINDOW_MS, recallTarget, recalledInfo } from '../../types/message';
import { cardPreview } from './cards';
import { emojiText } from './emoji';
import { timeHeaderLabel } from './time';

/** Messages further apart than this get a time header between them (as WeChat and NIM's demo do). */
export const TIME_HEADER_GAP_MS = 2 * 60 * 1000;

export type TimelineItem =
  | { kind: 'time'; key: string; label: string }
  /** A centred system line; `reedit` is the text of one's own recalled message. */
  | { kind: 'tip'; key: string; text: string; reedit?: string }
  | { kind: 'msg'; key: string; msg: Message; mine: boolean; read: boolean; receipt: string };

/**
 * The element id of a list item, safe as a CSS selector (scroll-into-view looks it up with one):
 * server notices carry ids like `consultation:c1:closed`.
 */
export const itemDomId = (key: string): string => `m-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** Read cursors of the other members of a session, by account. */
export type MemberReads = Readonly<Record<string, number>>;

function recallLine(by: string, nick: string | undefined, myAccount: string | undefined): string {
  return by === myAccount ? '你撤回了一条消息' : `${nick ?? '对方'}撤回了一条消息`;
}

/**
 * "已读"/"未读" as WeChat shows it with one counterpart; with several others "n人已读" until all have.
 */
function receiptOf(msg: Message, reads: MemberReads): { read: boolean; receipt: string } {
  const cursors = Object.values(reads);
  const readers = msg.seq === undefined ? 0 : cursors.filter((c) => c >= (msg.seq as number)).length;
  const read = msg.status === 'receipt' || (cursors.length > 0 && readers === cursors.length);
  if (read) return { read, receipt: cursors.length > 1 ? '全部已读' : '已读' };
  return { read, receipt: cursors.length > 1 && readers > 0 ? `${readers}人已读` : '未读' };
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
): TimelineItem[] {
  const items: TimelineItem[] = [];
  let prevTime: number | undefined;
  for (const msg of msgs) {
    if (recallTarget(msg)) continue;
    if (prevTime === undefined || msg.time - prevTime > TIME_HEADER_GAP_MS) {
      items.push({ kind: 'time', key: `t-${msg.idClient}`, label: timeHeaderLabel(msg.time, now) });
    }
    prevTime = msg.time;
    const recalled = recalledInfo(msg);
    if (recalled) {
      const text = recallLine(recalled.by, msg.fromNick, myAccount);
      items.push({ kind: 'tip', key: msg.idClient, text, ...(recalled.text !== undefined ? { reedit: recalled.text } : {}) });
    } else if (msg.type === 'tip' || msg.type === 'notification') {
      items.push({ kind: 'tip', key: msg.idClient, text: msg.body });
    } else {
      const mine = msg.from === myAccount;
      items.push({ kind: 'msg', key: msg.idClient, msg, mine, ...(mine ? receiptOf(msg, reads) : { read: false, receipt: '' }) });
    }
  }
  return items;
}

export type MessageAction = 'copy' | 'forward' | 'recall' | 'resend';

/** What a long press on a message offers: recall only for one's own stored messages within the window. */
export function messageActions(msg: Message, myAccount: string | undefined, now: number, canForward = false): MessageAction[] {
  const actions: MessageAction[] = [];
  if (msg.type === 'text') actions.push('copy');
  const system = msg.type === 'tip' || msg.type === 'notification';
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
      return '[图片]';
    case 'audio':
      return '[语音]';
    case 'video':
      return '[视频]';
    case 'file':
      return '[文件]';
    case 'geo':
      return '[位置]';
    case 'custom':
      return cardPreview(msg.attach);
  }
}
