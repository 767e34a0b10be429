/**
 * The subscription-consent shim against fakes that answer as each platform documents: WeChat and
 * Douyin resolve { [tmplId]: 'accept' | 'reject' | …, errMsg }, Alipay calls success with
 * result.subscribedEntityIds / unsubscribedEntityIds (and fail when the panel is dismissed); H5 has no
 * prompt. The platform call must start in the caller's tap, before anything is awaited.
 */
import type Taro from '@tarojs/taro';
import type { AlipaySubscribeApi } from '../../src/platform/subscribe';
import { ConsentError, subscribeConsent } from '../../src/platform/subscribe';

/** Taro.requestSubscribeMessage of WeChat/Douyin: refuses outside a tap, as WeChat does. */
function fakeTaro(answer: Record<string, string>) {
  const state = { inTap: false, calls: [] as Taro.requestSubscribeMessage.Option[] };
  const requestSubscribeMessage = ((o: Taro.requestSubscribeMessage.Option) => {
    state.calls.push(o);
    if (!state.inTap) return Promise.reject({ errMsg: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.', errCode: 20004 });
    return Promise.resolve({ ...answer, errMsg: 'requestSubscribeMessage:ok' });
  }) as typeof Taro.requestSubscribeMessage;
  return { state, requestSubscribeMessage };
}

/** Runs `f` as a tap handler would: synchronously, with the gesture on. */
function tap<T>(state: { inTap: boolean }, f: () => T): T {
  state.inTap = true;
  try {
    return f();
  } finally {
    state.inTap = false;
  }
}

test.each(['weapp', 'tt'] as const)('%s: tmplIds in, the template answers out (errMsg and unknown keys dropped)', async (platform) => {
  const { state, requestSubscribeMessage } = fakeTaro({ T1: 'accept', T2: 'reject', other: 'accept' });
  const ask = subscribeConsent(platform, { requestSubscribeMessage });
  await expect(tap(state, () => ask(['T1', 'T2']))).resolves.toEqual({ T1: 'accept', T2: 'reject' });
  expect(state.calls).toEqual([{ tmplIds: ['T1', 'T2'] }]);
});

test('weapp: called outside a tap, the platform refusal becomes a ConsentError', async () => {
  const { requestSubscribeMessage } = fakeTaro({ T1: 'accept' });
  const asked = subscribeConsent('weapp', { requestSubscribeMessage })(['T1']);
  await expect(asked).rejects.toBeInstanceOf(ConsentError);
  await expect(asked).rejects.toThrow('TAP gesture');
});

test('weapp: the platform call is made during the tap itself, not after a later tick', async () => {
  const { state, requestSubscribeMessage } = fakeTaro({ T1: 'accept' });
  const started = tap(state, () => subscribeConsent('weapp', { requestSubscribeMessage })(['T1']));
  expect(state.calls).toHaveLength(1);
  await expect(started).resolves.toEqual({ T1: 'accept' });
});

describe('alipay', () => {
  function fakeMy(answer: 'success' | 'cancel', res: Parameters<NonNullable<Parameters<AlipaySubscribeApi['requestSubscribeMessage']>[0]['success']>>[0] = {}) {
    const calls: string[][] = [];
    const my: AlipaySubscribeApi = {
      requestSubscribeMessage: (o) => {
        calls.push(o.entityIds);
        if (answer === 'cancel') o.fail?.({ error: 11, errorMessage: '用户取消订阅' });
        else o.success?.(res);
      },
    };
    return { my, calls };
  }

  test('entityIds in; result.subscribedEntityIds / unsubscribedEntityIds become accept / reject', async () => {
    const { my, calls } = fakeMy('success', {
      behavior: 'subscribe',
      show: true,
      keep: false,
      A1: 'accept',
      A2: 'accept',
      result: { subscribedEntityIds: ['A1'], unsubscribedEntityIds: ['A2'] },
    });
    await expect(subscribeConsent('alipay', { my })(['A1', 'A2'])).resolves.toEqual({ A1: 'accept', A2: 'reject' });
    expect(calls).toEqual([['A1', 'A2']]);
  });

  test('a client without result: the per-id keys are the answer', async () => {
    const { my } = fakeMy('success', { behavior: 'subscribe', A1: 'reject' });
    await expect(subscribeConsent('alipay', { my })(['A1'])).resolves.toEqual({ A1: 'reject' });
  });

  test('a dismissed panel fails with Alipay’s errorMessage', async () => {
    const { my } = fakeMy('cancel');
    await expect(subscribeConsent('alipay', { my })(['A1'])).rejects.toThrow('用户取消订阅');
  });
});

test('h5: no prompt, no answers', async () => {
  const { state, requestSubscribeMessage } = fakeTaro({ T1: 'accept' });
  await expect(subscribeConsent('h5', { requestSubscribeMessage })(['T1'])).resolves.toEqual({});
  expect(state.calls).toEqual([]);
});
