/** Pure helpers for media bubbles: sizes, durations, and image boxes known before the image loads. */

/** "832 B", "12.4 KB", "3.1 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Voice bubbles as WeChat labels them: 3", 59", 1'05". */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 60 ? `${s}"` : `${Math.floor(s / 60)}'${String(s % 60).padStart(2, '0')}"`;
}

/** Countdown in the recorder: "0:07". */
export const formatClock = (ms: number): string => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * The box an image gets in the list, from its known width and height, so the list never jumps when
 * it loads: fitted into max×max, never below min on the short side (very long screenshots).
 */
export function imageBox(w: number | undefined, h: number | undefined, max = 360, min = 120): { width: number; height: number } {
  if (!w || !h) return { width: max, height: max };
  const scale = Math.min(1, max / Math.max(w, h));
  return { width: Math.max(min, Math.round(w * scale)), height: Math.max(min, Math.round(h * scale)) };
}

/** Voice bubbles grow with the duration, like WeChat's, within a range. */
export const voiceWidth = (ms: number, minPx = 160, maxPx = 420): number =>
  Math.round(minPx + (maxPx - minPx) * Math.min(1, ms / 60_000));

/** The icon label of a file bubble, from its extension. */
export function fileBadge(ext: string): string {
  const e = ext.toLowerCase();
  if (e === 'pdf') return 'PDF';
  if (['doc', 'docx'].includes(e)) return 'DOC';
  if (['xls', 'xlsx'].includes(e)) return 'XLS';
  if (['ppt', 'pptx'].includes(e)) return 'PPT';
  if (['jpg', 'png', 'gif', 'webp'].includes(e)) return 'IMG';
  return e.slice(0, 4).toUpperCase() || 'FILE';
}
