/**
 * Search as the person sees it: which messages match (the same rule the server applies to decrypted
 * bodies, card titles and file names, so the held matches shown at once agree with the server's), a
 * line of context around the match, and the held and server hits as one list.
 */
import type { Message, MessageType } from '../../types/message';
import { recalledInfo } from '../../types/message';
import { SEARCH_TEXT_MAX } from '../../types/protocol';
import { cardView } from './cards';
import { emojiText } from './emoji';
import { previewOf } from './timeline';

export interface SearchQuery {
  text: string;
  /** Empty: every type. */
  types: readonly MessageType[];
}

/** The type filters the search bar offers. */
export const SEARCH_FILTERS: ReadonlyArray<{ label: string; types: MessageType[] }> = [
  { label: '全部', types: [] },
  { label: '图片', types: ['image'] },
  { label: '文件', types: ['file'] },
  { label: '卡片', types: ['custom'] },
];

/** Characters of context on each side of the match in a result line. */
const CONTEXT = 12;

/** The text a message is found by: its body, a card's title, a file's name. */
function searchableText(msg: Message): string {
  if (msg.type === 'text') return msg.body;
  if (msg.type === 'custom') return cardView(msg.attach).title;
  if (msg.type === 'file') return typeof msg.attach?.name === 'string' ? msg.attach.name : '';
  return '';
}

/** Trimmed and cut to the server's limit; empty text with no type filter is no search. */
export function normalizeQuery(q: SearchQuery): SearchQuery | undefined {
  const text = [...q.text.trim()].slice(0, SEARCH_TEXT_MAX).join('');
  return text || q.types.length ? { text, types: q.types } : undefined;
}

export function matches(msg: Message, q: SearchQuery): boolean {
  if (msg.type === 'tip' || msg.type === 'notification' || recalledInfo(msg)) return false;
  if (q.types.length && !q.types.includes(msg.type)) return false;
  return !q.text || searchableText(msg).toLowerCase().includes(q.text.toLowerCase());
}

/** Held messages that match, newest first (as the server answers). Pending ones are left out: nothing to jump to yet. */
export function searchHeld(msgs: readonly Message[], q: SearchQuery): Message[] {
  return msgs.filter((m) => m.seq !== undefined && matches(m, q)).reverse();
}

/** The result line: the match with a little context on each side, or the message's preview. */
export function hitLine(msg: Message, text: string): string {
  const whole = searchableText(msg);
  const at = text ? whole.toLowerCase().indexOf(text.toLowerCase()) : -1;
  if (at < 0) return previewOf(msg);
  const chars = [...whole];
  // Code-point positions, so a cut never splits a surrogate pair.
  const start = [...whole.slice(0, at)].length;
  const end = start + [...text].length;
  const from = Math.max(0, start - CONTEXT);
  const to = Math.min(chars.length, end + CONTEXT);
  const line = (from > 0 ? '…' : '') + chars.slice(from, to).join('') + (to < chars.length ? '…' : '');
  return msg.type === 'text' ? emojiText(line) : `${previewOf(msg)} ${line}`;
}

/** Held hits then the server's, each message once, newest first. */
export function mergeHits(held: readonly Message[], server: readonly Message[]): Message[] {
  const seen = new Set<string>();
  const out: Message[] = [];
  for (const m of [...held, ...server]) {
    const key = `${m.sessionId}/${m.idClient}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out.sort((a, b) => b.time - a.time || (b.seq ?? 0) - (a.seq ?? 0));
}
