/**
 * Consent to the platform's subscription messages (订阅消息), which reach a person who has left the chat:
 * each 'accept' lets our server send one notice with that template. WeChat and Douyin resolve
 * Taro.requestSubscribeMessage({ tmplIds }) with { [tmplId]: 'accept' | 'reject' | 'ban' | 'filter', errMsg };
 * Alipay's my.requestSubscribeMessage({ entityIds }) reports result.subscribedEntityIds and
 * unsubscribedEntityIds, normalised here to the same map. H5 has no such prompt and answers {}.
 *
 * The platforms show the prompt only from a user's tap (WeChat: "can only be invoked by user TAP
 * gesture"), so requestConsent starts the platform call synchronously: call it in the tap handler itself,
 * before any await, and await its promise afterwards.
 */
import Taro from '@tarojs/taro';
import type { Platform } from './env';
import { PLATFORM } from './env';

/** Template id → the platform's answer ('accept', 'reject', 'ban', 'filter'). */
export type ConsentResults = Record<string, string>;
export type RequestConsent = (templateIds: string[]) => Promise<ConsentResults>;

/** Alipay's own API: callbacks only; dismissing the panel calls fail (behavior 'cancel'). */
export interface AlipaySubscribeApi {
  requestSubscribeMessage(option: {
    entityIds: string[];
    success?: (res: {
      behavior?: string;
      result?: { subscribedEntityIds?: string[]; unsubscribedEntityIds?: string[] };
      [entityId: string]: unknown;
    }) => void;
    fail?: (err: { error?: number; errorMessage?: string }) => void;
  }): void;
}

export class ConsentError extends Error {
  constructor(detail: string) {
    super(`订阅消息请求失败（${detail}）`);
    this.name = 'ConsentError';
  }
}

/** Only the template answers: errMsg and Alipay's other fields are no template's. */
const answersOf = (res: Record<string, unknown>, ids: string[]): ConsentResults =>
  Object.fromEntries(ids.filter((id) => typeof res[id] === 'string').map((id) => [id, res[id] as string]));

export function subscribeConsent(
  platform: Platform,
  deps: { requestSubscribeMessage?: typeof Taro.requestSubscribeMessage; my?: AlipaySubscribeApi },
): RequestConsent {
  if (platform === 'h5') return () => Promise.resolve({});
  if (platform === 'alipay') {
    return (ids) =>
      new Promise<ConsentResults>((resolve, reject) => {
        if (!deps.my) return reject(new ConsentError('my.requestSubscribeMessage unavailable'));
        deps.my.requestSubscribeMessage({
          entityIds: ids,
          success: (res) => {
            // result is the documented answer; the per-id keys are kept for older clients without it.
            const out = answersOf(res, ids);
            for (const id of res.result?.subscribedEntityIds ?? []) if (ids.includes(id)) out[id] = 'accept';
            for (const id of res.result?.unsubscribedEntityIds ?? []) if (ids.includes(id)) out[id] = 'reject';
            resolve(out);
          },
          fail: (err) => reject(new ConsentError(err?.errorMessage ?? `error ${err?.error ?? '?'}`)),
        });
      });
  }
  return (ids) => {
    // Called now, inside the tap; a wrapper that awaited first would lose the gesture.
    const pending = deps.requestSubscribeMessage
      ? deps.requestSubscribeMessage({ tmplIds: ids } as Taro.requestSubscribeMessage.Option)
      : Promise.reject(new ConsentError('requestSubscribeMessage unavailable'));
    return pending.then(
      (res) => answersOf(res as Record<string, unknown>, ids),
      (e: unknown) => {
        throw new ConsentError((e as { errMsg?: string })?.errMsg ?? String(e));
      },
    );
  };
}

declare const my: AlipaySubscribeApi | undefined;

export const requestConsent: RequestConsent = subscribeConsent(PLATFORM, {
  requestSubscribeMessage: PLATFORM === 'weapp' || PLATFORM === 'tt' ? (o) => Taro.requestSubscribeMessage(o) : undefined,
  my: PLATFORM === 'alipay' && typeof my !== 'undefined' ? my : undefined,
});
