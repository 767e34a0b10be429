/**
 * Sensitive-word filtering, as NIM's anti-spam does it: one Aho–Corasick pass over the text finds
 * every listed word; the hospital chooses to mask them (the message goes out with ＊) or to block the
 * message (the sender is told why).
 *
 * Senders evade a plain substring match by writing the word differently: zero-width or soft-hyphen
 * characters inside it, spaces or punctuation between its characters, full-width or compatibility
 * forms, another case. So matching runs on a normalised copy of the text (listed words are normalised
 * the same way) that remembers, for every one of its UTF-16 units, the original characters it came
 * from; a mask then covers exactly the original characters of the word, invisible ones inside included.
 */
import AhoCorasick from 'modern-ahocorasick';
import { stripInvisible } from './text';

export type ModerationMode = 'mask' | 'block';

/** A small default list for development; hospitals configure their own (SENSITIVE_WORDS_FILE). */
export const DEFAULT_WORDS = ['代开发票', '加微信', '私下转账', '办证', '赌博', '枪支'];

/** `words` are the listed words found, as the hospital listed them. */
export type Verdict = { action: 'pass' } | { action: 'mask'; text: string; words: string[] } | { action: 'block'; words: string[] };

/**
 * One decision for several texts that go out together (a card's fields): blocked if any is, else
 * masked with `texts` in the order given (fields without a listed word unchanged), else pass.
 */
export type FieldsVerdict =
  | { action: 'pass' }
  | { action: 'mask'; texts: string[]; words: string[] }
  | { action: 'block'; words: string[] };

/** One user-perceived character of the original text and what matching sees of it. */
interface Grapheme {
  start: number;
  end: number;
  key: string;
  kind: 'ignored' | 'gap' | 'cjk' | 'other';
}

/** Consecutive visible characters, or consecutive separators between them. */
interface Run {
  gap: boolean;
  graphemes: Grapheme[];
}

/** The text matching runs on; `from[i]`/`to[i]` is the original range unit i came from. */
interface Normalised {
  text: string;
  from: number[];
  to: number[];
  graphemes: Grapheme[];
}

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Besides text.ts's controls and format characters: fillers (U+3164, U+115F), variation selectors and
// the like, which also render as nothing.
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const CJK = /^[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Bopomofo}]/u;
// Marks on Latin letters ("wéchät", stacked zalgo) only decorate the Latin words such lists hold
// (WeChat, QQ, VX), and Han, kana and Hangul have no combining marks left once NFKC has composed them;
// elsewhere (Devanagari vowels, Cyrillic й) marks are spelling and stay.
const LATIN = /^\p{sc=Latin}/u;
const MARKS = /\p{M}/gu;
const WORD_CHAR = /[\p{L}\p{N}]/u;
// Not \s: that includes U+FEFF, which is an invisible format character, not a space.
const SPACE = /^\p{White_Space}+$/u;
const HARD_GAP = /[\p{Terminal_Punctuation}\n\v\f\r\u0085\u2028\u2029]/u;

/** NFKC with full case folding, approximated as upper then lower case (ß → ss, ς → σ). */
const fold = (s: string): string => s.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');

function keyOf(segment: string): string {
  const key = stripInvisible(fold(segment)).replace(IGNORABLE, '');
  if (LATIN.test(key)) return key.normalize('NFD').replace(MARKS, '');
  return CJK.test(key) ? key.replace(MARKS, '') : key;
}

function classify(segment: string): Pick<Grapheme, 'key' | 'kind'> {
  const spacing = segment.normalize('NFKC');
  // Line breaks and tabs separate words even though stripInvisible drops them (they are controls).
  if (SPACE.test(spacing)) return { key: spacing, kind: 'gap' };
  const key = keyOf(segment);
  if (!key) return { key, kind: 'ignored' };
  if (!WORD_CHAR.test(key)) return { key, kind: 'gap' };
  return { key, kind: CJK.test(key) ? 'cjk' : 'other' };
}

/**
 * Classified characters by their text: a chat uses a few thousand distinct characters, and each
 * classification costs several normalisations and Unicode-property tests (this is on every send).
 */
const CLASSIFIED = new Map<string, Pick<Grapheme, 'key' | 'kind'>>();
const CLASSIFIED_MAX = 50_000;

function graphemeOf(segment: string, start: number): Grapheme {
  let c = CLASSIFIED.get(segment);
  if (!c) {
    if (CLASSIFIED.size >= CLASSIFIED_MAX) CLASSIFIED.clear();
    CLASSIFIED.set(segment, (c = classify(segment)));
  }
  return { start, end: start + segment.length, ...c };
}

/**
 * What can join code points into one grapheme: marks, joiners, variation selectors, flags, skin
 * tones, Hangul jamo, CR LF and prepended marks. Text without any (most chat text) is split by code
 * point, which is much cheaper than the segmenter on every send.
 */
const CLUSTERING = /\u200D|\uFE0F|[\p{M}\uFE00-\uFE0E\u{E0100}-\u{E01EF}\p{Regional_Indicator}\p{Emoji_Modifier}\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF\r\u0600-\u0605\u06DD\u070F\u08E2\u0D4E\u{110BD}\u{110CD}]/u;

function graphemesOf(text: string): Grapheme[] {
  if (CLUSTERING.test(text)) return [...SEGMENTER.segment(text)].map((s) => graphemeOf(s.segment, s.index));
  const out: Grapheme[] = [];
  let index = 0;
  for (const c of text) {
    out.push(graphemeOf(c, index));
    index += c.length;
  }
  return out;
}

/** Invisible characters neither join nor split runs: "加\u200B微" is one run of two characters. */
function runsOf(graphemes: Grapheme[]): Run[] {
  const runs: Run[] = [];
  for (const g of graphemes) {
    if (g.kind === 'ignored') continue;
    const gap = g.kind === 'gap';
    const last = runs[runs.length - 1];
    if (last?.gap === gap) last.graphemes.push(g);
    else runs.push({ gap, graphemes: [g] });
  }
  return runs;
}

/** Whether a run's character next to a gap stands alone, not counting a neighbour of the other kind ("加w"). */
function alone(run: Run, side: 'first' | 'last'): boolean {
  const [edge, next] = side === 'first' ? run.graphemes : [...run.graphemes].reverse();
  return next?.kind !== edge.kind;
}

const edgeKind = (run: Run, side: 'first' | 'last') => run.graphemes.at(side === 'first' ? 0 : -1)!.kind;

/**
 * Whether separators between two runs are read as not there.
 * - Between single characters ("w e c h a t", "加。微。信"): spelling a word out character by
 *   character is the evasion itself, in any script.
 * - Between CJK characters: Chinese has no spaces between words, so spaces and symbols there are
 *   evasion ("加 微 信", "代*开*发*票"). Sentence ends and line breaks are not, or "在哪里办？证件…"
 *   would read as 办证 — unless one side is a single character ("请加。微。信").
 * - Between Latin words they stay: ignoring them would turn "his exam" into "hisexam", which
 *   contains "sex"; real words run into one another far too often.
 */
function gapIgnored(before: Run | undefined, gap: Run, after: Run | undefined): boolean {
  if (!before || !after) return false;
  const singles = Number(alone(before, 'last')) + Number(alone(after, 'first'));
  if (singles === 2) return true;
  if (edgeKind(before, 'last') !== 'cjk' || edgeKind(after, 'first') !== 'cjk') return false;
  return singles === 1 || !gap.graphemes.some((g) => HARD_GAP.test(g.key));
}

function append(out: Normalised, key: string, from: number, to: number): void {
  out.text += key;
  for (let i = 0; i < key.length; i++) {
    out.from.push(from);
    out.to.push(to);
  }
}

/** Kept separators become one space, so a listed "buy drugs" also matches "buy,  drugs". */
function normalise(text: string): Normalised {
  const graphemes = graphemesOf(text);
  const runs = runsOf(graphemes);
  const out: Normalised = { text: '', from: [], to: [], graphemes };
  runs.forEach((run, i) => {
    if (!run.gap) for (const g of run.graphemes) append(out, g.key, g.start, g.end);
    else if (!gapIgnored(runs[i - 1], run, runs[i + 1])) append(out, ' ', run.graphemes[0].start, run.graphemes.at(-1)!.end);
  });
  return out;
}

/** One ＊ per original character inside a span; everything else exactly as it was. */
function masked(graphemes: Grapheme[], original: string, spans: { start: number; end: number }[]): string {
  const inSpan = (g: Grapheme) => spans.some((s) => g.start >= s.start && g.end <= s.end);
  return graphemes.map((g) => (inSpan(g) ? '＊' : original.slice(g.start, g.end))).join('');
}

export class Moderator {
  private readonly matcher?: AhoCorasick<string>;

  constructor(
    words: readonly string[],
    readonly mode: ModerationMode,
  ) {
    const byKey = new Map<string, string>();
    for (const word of words) {
      const key = normalise(word).text.trim();
      if (key && !byKey.has(key)) byKey.set(key, word.trim());
    }
    const patterns = [...byKey].map(([pattern, data]) => ({ pattern, data }));
    this.matcher = patterns.length ? new AhoCorasick(patterns) : undefined;
  }

  check(text: string): Verdict {
    if (!this.matcher) return { action: 'pass' };
    const norm = normalise(text);
    const matches = this.matcher.search(norm.text);
    if (!matches.length) return { action: 'pass' };
    const words = [...new Set(matches.map((m) => m.data ?? m.pattern))];
    if (this.mode === 'block') return { action: 'block', words };
    const spans = matches.map((m) => ({ start: norm.from[m.start], end: norm.to[m.end - 1] }));
    return { action: 'mask', text: masked(norm.graphemes, text, spans), words };
  }

  /** For texts that go out as one message, such as a card's fields; see FieldsVerdict. */
  checkAll(texts: readonly string[]): FieldsVerdict {
    const verdicts = texts.map((t) => this.check(t));
    const words = [...new Set(verdicts.flatMap((v) => (v.action === 'pass' ? [] : v.words)))];
    if (!words.length) return { action: 'pass' };
    if (this.mode === 'block') return { action: 'block', words };
    return { action: 'mask', texts: verdicts.map((v, i) => (v.action === 'mask' ? v.text : texts[i])), words };
  }
}
