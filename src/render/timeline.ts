import type { Message } from '../../types/message';
import { timeHeaderLabel } from './time';

/** Messages further apart than this get a time header between them (as WeChat and NIM's demo do). */
export const TIME_HEADER_GAP_MS = 2 * 60 * 1000;

export type TimelineItem =
  | { kind: 'time'; key: string; label: string }
  | { kind: 'msg'; key: string; msg: Message; mine: boolean; read: boolean };

/**
 * Turns ordered messages into what the list shows: time headers where two messages are more than
 * two minutes apart, each message marked as ours or theirs, and ours marked read once the peer read it.
 */
export function buildTimeline(
  msgs: readonly Message[],
  me: string | undefined,
  now: number,
  peerReadSeq = 0,
): TimelineItem[] {
  const items: TimelineItem[] = [];
  let prevTime: number | undefined;
  for (const msg of msgs) {
    if (prevTime === undefined || msg.time - prevTime > TIME_HEADER_GAP_MS) {
      items.push({ kind: 'time', key: `t-${msg.idClient}`, label: timeHeaderLabel(msg.time, now) });
    }
    prevTime = msg.time;
    const mine = msg.from === me;
    const read = mine && (msg.status === 'receipt' || (msg.seq !== undefined && msg.seq <= peerReadSeq));
    items.push({ kind: 'msg', key: msg.idClient, msg, mine, read });
  }
  return items;
}

/** One-line preview of a message for the sessions list. */
export function previewOf(msg: Message | undefined): string {
  if (!msg) return '';
  switch (msg.type) {
    case 'text':
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
      return '[卡片]';
  }
}
