/**
 * The platform's font size and the app's 大字 option (kept in platform storage, so it survives restarts
 * and applies to every page). Colours need nothing here: the stylesheets follow prefers-color-scheme.
 */
import Taro from '@tarojs/taro';
import { isTextSize, type TextSize } from '../render/appearance';
import { PLATFORM } from './env';
import { storage } from './storage';

const KEY = 'appearance.textSize';
const listeners = new Set<(size: TextSize) => void>();

export function savedTextSize(): TextSize {
  const v = storage.get<unknown>(KEY);
  return isTextSize(v) ? v : 'standard';
}

export function saveTextSize(size: TextSize): void {
  storage.set(KEY, size);
  listeners.forEach((l) => l(size));
}

/** Pages already open follow a change made in 设置. Returns the unsubscribe. */
export function onTextSize(listener: (size: TextSize) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/**
 * The person's font size in CSS px. Browsers: what `medium` resolves to (the browser's font size
 * setting; the root element's own size is Taro's rem base and says nothing about it). Mini programs:
 * fontSizeSetting of the system info (WeChat's 字体大小; absent on some platforms).
 */
export function platformFontPx(): number | undefined {
  if (PLATFORM === 'h5') {
    const probe = document.createElement('div');
    probe.style.cssText = 'position:absolute;visibility:hidden;font-size:medium';
    document.body.appendChild(probe);
    const px = parseFloat(getComputedStyle(probe).fontSize);
    probe.remove();
    return Number.isFinite(px) ? px : undefined;
  }
  try {
    const { fontSizeSetting } = Taro.getSystemInfoSync() as { fontSizeSetting?: number };
    return typeof fontSizeSetting === 'number' && fontSizeSetting > 0 ? fontSizeSetting : undefined;
  } catch {
    return undefined;
  }
}
