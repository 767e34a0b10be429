/**
 * The one reading of a platform API's failure (src/platform/failure.ts) against the shapes each platform
 * documents: WeChat's and Douyin's errMsg words, Alipay's numeric codes (Taro passes my.*'s fail
 * argument on unchanged).
 */
import { failureKind } from '../../src/platform/failure';

test('WeChat and Douyin: the errMsg says it', () => {
  expect(failureKind({ errMsg: 'chooseMedia:fail cancel' })).toBe('cancel');
  expect(failureKind({ errMsg: 'chooseImage:fail cancel' })).toBe('cancel'); // tt.chooseImage, dismissed
  expect(failureKind({ errMsg: 'chooseLocation:fail cancel' })).toBe('cancel');
  expect(failureKind({ errMsg: 'authorize:fail auth deny' })).toBe('permission');
  expect(failureKind({ errMsg: 'chooseMedia:fail auth deny' })).toBe('permission');
  expect(failureKind({ errMsg: 'operateRecorder:fail auth deny' })).toBe('permission');
  expect(failureKind({ errMsg: 'chooseMedia:fail privacy permission is not authorized', errno: 104 })).toBe('privacyRefused');
  expect(failureKind({ errMsg: 'setClipboardData:fail api scope is not declared in the privacy agreement', errno: 112 })).toBe('privacyUndeclared');
  expect(failureKind({ errMsg: 'getLocation:fail privacy api banned' })).toBe('privacyUndeclared');
  expect(failureKind({ errMsg: 'request:fail timeout', errno: 5 })).toBe('other');
  expect(failureKind({ errMsg: 'chooseMedia:fail' })).toBe('other');
});

test('Alipay: 11 is a cancel, 2001 a permission declined when asked (asked again next time), 2002–2003 one refused for good, whatever the words', () => {
  expect(failureKind({ error: 11, errorMessage: 'User cancel select video' })).toBe('cancel'); // my.chooseImage
  expect(failureKind({ error: 11, errorMessage: '用户取消操作' })).toBe('cancel');
  expect(failureKind({ error: 11, errorMessage: '用户取消授权' })).toBe('cancel'); // my.getAuthCode
  expect(failureKind({ errorCode: 11, errorMessage: '用户取消操作' })).toBe('cancel'); // my.chooseLocation names it errorCode
  expect(failureKind({ error: 2001, errorMessage: '用户不允许授权' })).toBe('declined'); // my.chooseImage: refused when asked
  expect(failureKind({ error: 2001, errorMessage: '用户拒绝给小程序授权' })).toBe('declined'); // my.getLocation
  expect(failureKind({ error: 2002, errorMessage: '用户不允许授权' })).toBe('permission'); // refused before, for good
  expect(failureKind({ error: 2003, errorMessage: '用户不允许授权' })).toBe('permission'); // refused now, for good
  expect(failureKind({ error: 10, errMsg: '获取权限失败。' })).toBe('permission'); // RecorderManager.onError
  expect(failureKind({ error: 12, errorMessage: '网络异常' })).toBe('other');
  expect(failureKind({ error: 13, errorMessage: '请求超时' })).toBe('other'); // my.request timed out
});

test('a code that means something else per API is read as that API documents it', () => {
  // my.chooseVideo on Android: 10 is the cancel; for other APIs 10 is no cancel (my.requestSubscribeMessage: 系统异常).
  expect(failureKind({ error: 10, errorMessage: '用户取消操作' }, { 10: 'cancel' })).toBe('cancel');
  expect(failureKind({ error: 10, errorMessage: '系统异常' })).toBe('other');
  // An API's own meaning wins over the shared one.
  expect(failureKind({ error: 11, errorMessage: '请确认定位相关权限已开启' }, { 11: 'permission' })).toBe('permission');
});

test('anything that is no platform failure object is "other" (or its words, for a bare string)', () => {
  for (const e of [undefined, null, 42, {}, [], new Error('boom')]) expect(failureKind(e)).toBe('other');
  expect(failureKind('chooseImage:fail cancel')).toBe('cancel');
  expect(failureKind({ error: '11', errorMessage: 'x' })).toBe('other'); // a code must be a number
});
