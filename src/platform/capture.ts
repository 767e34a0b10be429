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
  return (on) => {
    // Older WeChat versions lack it (the call throws or rejects): the chat still works, unprotected.
    try {
      void api.setVisualEffectOnCapture({ visualEffect: on ? 'hidden' : 'none' }).catch(() => undefined);
    } catch {
      /* not available */
    }
  };
}

export const guardCapture: CaptureGuard = captureGuard(
  { setVisualEffectOnCapture: (o) => Taro.setVisualEffectOnCapture(o) },
  PLATFORM,
);
