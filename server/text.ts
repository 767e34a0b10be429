/**
 * Text a person sees but did not write as such: invisible format characters (zero-width spaces, soft
 * hyphens, word joiners, bidi overrides such as U+202E that make "fdp.txt" read as "txt.pdf") and
 * control characters. Display names lose them; the sensitive-word filter matches as if they were not
 * there.
 */

/** Unicode general categories Cc (controls) and Cf (format: zero-width, bidi, soft hyphen, BOM …). */
export const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;

export const stripInvisible = (s: string): string => s.replace(INVISIBLE, '');

/** A name shown to other people (accounts, consultation titles, file names): visible characters only, trimmed. */
export const displayText = (s: string): string => stripInvisible(s.normalize('NFC')).trim();
