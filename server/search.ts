/**
 * Message search over sealed bodies: the database can only narrow by conversation and type, so the
 * text is matched here, after opening, in batches, with a cap on the rows opened per request. A search
 * that reaches the cap returns what it found with a `next` cursor to go on from where it stopped.
 */
import { ClientError } from './errors';
import { cardTitleOf } from './quote';
import type { SearchPosition, StoredMessage } from './storage/types';

/** Rows read and opened per query. */
export const SEARCH_BATCH = 200;
/** Rows opened per search request at most, matching or not. */
export const SEARCH_SCAN_MAX = 2_000;

/** What a search text is matched against: a text's words, a card's title, a file's name. */
function searchable(m: StoredMessage): string[] {
  if (m.type === 'text') return [m.body];
  const title = m.type === 'custom' ? cardTitleOf(m) : undefined;
  if (title !== undefined) return [title];
  const name = m.type === 'file' ? m.attach?.name : undefined;
  return typeof name === 'string' ? [name] : [];
}

/** Case-insensitive substring match; no text matches every message (a search by type only). */
export const searchNeedle = (text: string | undefined): string | undefined => (text === undefined ? undefined : text.trim().toLowerCase());

export const matches = (m: StoredMessage, needle: string | undefined): boolean =>
  needle === undefined || searchable(m).some((t) => t.toLowerCase().includes(needle));

export const positionOf = (m: StoredMessage): SearchPosition => ({ time: m.time, convId: m.convId, seq: m.seq });

/** The `next` a client hands back: opaque to it. */
export const encodeCursor = (p: SearchPosition): string => Buffer.from(JSON.stringify([p.time, p.convId, p.seq])).toString('base64url');

export function decodeCursor(cursor: string, convIds: readonly string[]): SearchPosition {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && parts.length === 3) {
    const [time, convId, seq] = parts as unknown[];
    // Only a position in a conversation being searched: a cursor is never a way into another one.
    if (Number.isSafeInteger(time) && typeof convId === 'string' && convIds.includes(convId) && Number.isSafeInteger(seq)) {
      return { time: time as number, convId, seq: seq as number };
    }
  }
  throw new ClientError('badFrame', 'before: not the next cursor of a previous search of these conversations');
}
