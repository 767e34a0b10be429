import type Taro from '@tarojs/taro';

/**
 * A tap on 确定 in Taro's promisified showModal, as it happens: the option's own success callback runs
 * first (while the platform's tap lasts), then the promise resolves with the same result.
 */
export function confirmed(o: Taro.showModal.Option): Taro.showModal.SuccessCallbackResult {
  const res = { confirm: true, cancel: false, errMsg: 'showModal:ok' } as Taro.showModal.SuccessCallbackResult;
  o.success?.(res);
  return res;
}
