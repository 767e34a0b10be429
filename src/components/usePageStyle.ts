import { useDidShow } from '@tarojs/taro';
import { useEffect, useMemo, useState } from 'react';
import { onTextSize, platformFontPx, savedTextSize } from '../platform/appearance';
import { textScale, type TextSize } from '../render/appearance';

export interface PageStyle {
  large: boolean;
  className: string;
  style: Record<string, string>;
}

/**
 * What a page's root view carries so that its text follows the platform's font size and the 大字 option:
 * --text-scale for the stylesheets' font sizes and `text-large` for the larger tap targets (app.css).
 */
export function usePageStyle(): PageStyle {
  const [size, setSize] = useState<TextSize>(savedTextSize);
  // Read again on show: the platform's setting may have changed while the app was in the background.
  const [platformPx, setPlatformPx] = useState(platformFontPx);
  useDidShow(() => {
    setSize(savedTextSize());
    setPlatformPx(platformFontPx());
  });
  useEffect(() => onTextSize(setSize), []);
  return useMemo(
    () => ({
      large: size === 'large',
      className: size === 'large' ? 'text-large' : 'text-standard',
      style: { '--text-scale': String(textScale(size, platformPx)) },
    }),
    [size, platformPx],
  );
}
