/**
 * Screenshot and screen-recording protection for the chat page: WeChat hides the page's content from
 * captures (setVisualEffectOnCapture). Alipay, ByteDance and browsers give pages no such switch, so
 * there it does nothing.
 */
import Taro from '@tarojs/taro';
import type { Platform } from './env';
import { PLATFORM } from './env';

export type CaptureGuard = (on: boolean) => void;

export function captureGuard(api: Pick<typeof Taro, 'setVisualEffectOnCapture'>, platform: Platform): CaptureGuard {
  if (platform !== 'weapp') return () => undefined;
  // Older WeChat versions lack it; the chat still works, only unprotected.
  return (on) => void api.setVisualEffectOnCapture({ visualEffect: on ? 'hidden' : 'none' }).catch(() => undefined);
}

export const guardCapture: CaptureGuard = captureGuard(
  { setVisualEffectOnCapture: (o) => Taro.setVisualEffectOnCapture(o) },
  PLATFORM,
);
