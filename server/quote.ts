/**
 * The quote a reply carries, made by the server from the stored original: the sender's client names
 * the original (idClient and seq), never its words, so a reply cannot show text from anywhere else.
 */
import { CARD_TITLES, type CardKind } from '../types/cards';
import type { Quote } from '../types/message';
import { MEDIA_LABELS, QUOTE_EXCERPT_MAX } from '../types/message';
import type { StoredMessage } from './storage/types';

/** A text's first QUOTE_EXCERPT_MAX characters (code points, so no emoji is cut in half). */
export const excerptOf = (text: string): string => Array.from(text).slice(0, QUOTE_EXCERPT_MAX).join('');

/** What a quote says of a message: its stored (already moderated) text, a card's title or a label. */
function excerptFor(m: StoredMessage): string {
  if (m.type === 'text') return excerptOf(m.body);
  if (m.type === 'custom') {
    const title = CARD_TITLES[(m.attach as { card?: CardKind } | undefined)?.card as CardKind];
    return title ? `[${title}]` : '[卡片]';
  }
  return m.type in MEDIA_LABELS ? MEDIA_LABELS[m.type as keyof typeof MEDIA_LABELS] : '';
}

const who = (m: StoredMessage) => ({ idClient: m.idClient, seq: m.seq, from: m.from, ...(m.fromNick ? { fromNick: m.fromNick } : {}), type: m.type });

export const quoteOf = (original: StoredMessage): Quote => ({ ...who(original), excerpt: excerptFor(original) });

/** What every reply to `original` shows once it is recalled: who and what kind, no words. */
export const recalledQuote = (original: StoredMessage): Quote => ({ ...who(original), excerpt: '', recalled: true });
