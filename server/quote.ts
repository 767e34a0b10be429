/**
 * The quote a reply carries, made by the server from the stored original: the sender's client names
 * the original (idClient and seq), never its words, so a reply cannot show text from anywhere else.
 */
import { CARD_TITLES, type CardKind } from '../types/cards';
import type { Quote } from '../types/message';
import { MEDIA_LABELS, QUOTE_EXCERPT_MAX } from '../types/message';
import type { StoredMessage } from './storage/types';

/** A card message's title (电子处方 …), as its bubble heads it; undefined for an unknown kind. */
export const cardTitleOf = (m: StoredMessage): string | undefined => CARD_TITLES[(m.attach as { card?: CardKind } | undefined)?.card as CardKind];

/**
 * What a quote says of a message: a text's first QUOTE_EXCERPT_MAX characters as stored (already
 * moderated; code points, so no emoji is cut in half), a card's title, or a label.
 */
function excerptFor(m: StoredMessage): string {
  if (m.type === 'text') return Array.from(m.body).slice(0, QUOTE_EXCERPT_MAX).join('');
  if (m.type === 'custom') return `[${cardTitleOf(m) ?? '卡片'}]`;
  return m.type in MEDIA_LABELS ? MEDIA_LABELS[m.type as keyof typeof MEDIA_LABELS] : '';
}

const who = (m: StoredMessage) => ({ idClient: m.idClient, seq: m.seq, from: m.from, ...(m.fromNick ? { fromNick: m.fromNick } : {}), type: m.type });

export const quoteOf = (original: StoredMessage): Quote => ({ ...who(original), excerpt: excerptFor(original) });

/** What every reply to `original` shows once it is recalled: who and what kind, no words. */
export const recalledQuote = (original: StoredMessage): Quote => ({ ...who(original), excerpt: '', recalled: true });
