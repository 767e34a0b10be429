/**
 * Emoji placeholders as NIM's and WeChat's keyboards write them (`[微笑]`), parsed into nodes. The
 * result is data, not markup: components render each node as text, so nothing in a message can ever
 * become HTML or a script.
 */

/** Placeholder name -> the character shown. Order is the panel's order. */
export const EMOJI: ReadonlyArray<readonly [string, string]> = [
  ['微笑', '🙂'],
  ['大笑', '😄'],
  ['害羞', '😊'],
  ['流泪', '😢'],
  ['难过', '😞'],
  ['疑问', '🤔'],
  ['惊讶', '😮'],
  ['生病', '😷'],
  ['发烧', '🤒'],
  ['头晕', '😵'],
  ['睡觉', '😴'],
  ['痛', '😣'],
  ['谢谢', '🙏'],
  ['点赞', '👍'],
  ['OK', '👌'],
  ['握手', '🤝'],
  ['爱心', '❤️'],
  ['鲜花', '🌹'],
  ['加油', '💪'],
  ['药', '💊'],
];

const BY_NAME = new Map(EMOJI);
const PLACEHOLDER = /\[([^[\]\s]{1,4})\]/g;

export type TextNode = { type: 'text'; text: string } | { type: 'emoji'; name: string; char: string };

/** Splits text into plain runs and known emoji; unknown `[…]` stays text as typed. */
export function parseEmoji(text: string): TextNode[] {
  const nodes: TextNode[] = [];
  let plain = '';
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const char = BY_NAME.get(m[1]);
    if (!char) continue;
    plain += text.slice(last, m.index);
    if (plain) nodes.push({ type: 'text', text: plain });
    plain = '';
    nodes.push({ type: 'emoji', name: m[1], char });
    last = (m.index as number) + m[0].length;
  }
  plain += text.slice(last);
  if (plain) nodes.push({ type: 'text', text: plain });
  return nodes;
}

/** The same message as one string with emoji characters (copying, previews). */
export const emojiText = (text: string): string =>
  parseEmoji(text)
    .map((n) => (n.type === 'text' ? n.text : n.char))
    .join('');
