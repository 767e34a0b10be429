/**
 * Where an element is on screen, by id: read from the DOM on H5 (at once, and without Taro's query,
 * which needs a mounted page), through the selector query on mini programs (answered asynchronously).
 * The message list keeps the reader's place with it.
 */
import Taro from '@tarojs/taro';

export function measureRect(id: string): Promise<{ top: number; height: number } | undefined> {
  if (process.env.TARO_ENV === 'h5') {
    const rect = document.getElementById(id)?.getBoundingClientRect();
    return Promise.resolve(rect && { top: rect.top, height: rect.height });
  }
  return new Promise((resolve) => {
    Taro.createSelectorQuery()
      .select(`#${id}`)
      .boundingClientRect((rect) => {
        const r = rect as { top?: number; height?: number } | null;
        resolve(r && typeof r.top === 'number' ? { top: r.top, height: r.height ?? 0 } : undefined);
      })
      .exec();
  });
}
