/**
 * Sensitive-word filtering, as NIM's anti-spam does it: one Aho–Corasick pass over the text finds
 * every listed word; the hospital chooses to mask them (the message goes out with ＊) or to block the
 * message (the sender is told why).
 */
import AhoCorasick from 'modern-ahocorasick';

export type ModerationMode = 'mask' | 'block';

/** A small default list for development; hospitals configure their own (SENSITIVE_WORDS_FILE). */
export const DEFAULT_WORDS = ['代开发票', '加微信', '私下转账', '办证', '赌博', '枪支'];

export type Verdict = { action: 'pass' } | { action: 'mask'; text: string; words: string[] } | { action: 'block'; words: string[] };

export class Moderator {
  private readonly matcher?: AhoCorasick;

  constructor(
    words: readonly string[],
    readonly mode: ModerationMode,
  ) {
    const list = [...new Set(words.map((w) => w.trim().toLowerCase()).filter(Boolean))];
    this.matcher = list.length ? new AhoCorasick(list) : undefined;
  }

  check(text: string): Verdict {
    // Latin words match in any case; lower-casing keeps every index of CJK text in place.
    const matches = this.matcher?.search(text.toLowerCase()) ?? [];
    if (!matches.length) return { action: 'pass' };
    const words = [...new Set(matches.map((m) => text.slice(m.start, m.end)))];
    if (this.mode === 'block') return { action: 'block', words };
    // Match positions are UTF-16 code units, so the mask works on code units too.
    const units = text.split('');
    for (const m of matches) for (let i = m.start; i < m.end; i++) units[i] = '＊';
    return { action: 'mask', text: units.join(''), words };
  }
}
