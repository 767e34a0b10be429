/**
 * Copying a message's text. The clipboard is a privacy API on WeChat and Douyin (剪切板 in the privacy
 * guide): before the person agreed to the guide the call waits for our popup, and after a refusal it
 * fails; the refusal is explained like the pickers' instead of being lost.
 */
import Taro from '@tarojs/taro';
import { privacyFailure } from './privacy';

export type ClipboardApi = Pick<typeof Taro, 'setClipboardData'>;

export class CopyFailedError extends Error {
  constructor() {
    super('复制失败，请重试');
    this.name = 'CopyFailedError';
  }
}

/** Rejects with the privacy failure in words (privacyFailure) or CopyFailedError. */
export const clipboardCopier =
  (api: ClipboardApi) =>
  async (text: string): Promise<void> => {
    try {
      await api.setClipboardData({ data: text });
    } catch (e) {
      throw privacyFailure(e, '复制消息') ?? new CopyFailedError();
    }
  };

export const copyText = clipboardCopier({ setClipboardData: (o) => Taro.setClipboardData(o) });
