/**
 * Text size as a scale factor for the stylesheets' --text-scale: the platform's font size setting (the
 * person chose it for every app) times the app's own 大字 option (WeChat's 适老化 guideline asks for one).
 */
export type TextSize = 'standard' | 'large';

/** The font size the stylesheets are designed at, in CSS px (browsers' and WeChat's default). */
export const DESIGN_FONT_PX = 16;
export const LARGE_TEXT_FACTOR = 1.25;
/** Beyond this the chat's bubbles and bars no longer fit a phone's width. */
const MAX_SCALE = 2;

/**
 * `platformFontPx` is undefined where the platform does not say. A platform size below the design size
 * is not followed: the design size is already the smallest text the pages are laid out for.
 */
export function textScale(size: TextSize, platformFontPx?: number): number {
  const platform = platformFontPx && platformFontPx > DESIGN_FONT_PX ? platformFontPx / DESIGN_FONT_PX : 1;
  const scale = platform * (size === 'large' ? LARGE_TEXT_FACTOR : 1);
  return Math.round(Math.min(scale, MAX_SCALE) * 100) / 100;
}

export const isTextSize = (v: unknown): v is TextSize => v === 'standard' || v === 'large';
