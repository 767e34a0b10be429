/**
 * What a platform API's failure means for the person, decided in one place for every shim (pickers,
 * location, clipboard, recorder, permissions, privacy). WeChat and Douyin say it in words
 * (`errMsg: "chooseMedia:fail cancel"`, `"authorize:fail auth deny"`, `"…:fail privacy permission is
 * not authorized"`); Alipay in numbers (`{ error: 11, errorMessage }`), which Taro passes on unchanged.
 */

/**
 * - cancel: the person dismissed a picker (not an error to report);
 * - permission: a permission (album, camera, microphone, location…) is refused and stays refused until the
 *   settings page switches it on: explained, with 去设置;
 * - declined: a permission refused just now, when the system asked; the next call asks again, so trying
 *   again is the way back (the settings page has nothing to switch on);
 * - privacyRefused: the privacy guide was refused;
 * - privacyUndeclared: the mini program's privacy guide does not declare this use (only the hospital can fix it);
 * - other: anything else (no network, a platform fault).
 */
export type FailureKind = 'cancel' | 'permission' | 'declined' | 'privacyRefused' | 'privacyUndeclared' | 'other';

/** Alipay codes whose meaning depends on the API: what one API's documentation says they mean there. */
export type AlipayCodes = Readonly<Record<number, FailureKind>>;

/**
 * Alipay's codes that mean the same for every API that has them (opendocs.alipay.com, each API's 错误码):
 * 11 the person cancelled (my.chooseImage, my.chooseVideo on iOS, my.chooseLocation, my.getAuthCode);
 * 2001 refused when asked, and "下次调用时，会重新弹出授权框" (my.chooseImage; my.getLocation: 用户拒绝给小程序授权);
 * 2002 refused earlier with 不再询问 (the call fails at once), 2003 refused now with 不再询问: both only
 * "右上角胶囊按钮 -> 设置" switches it back on (my.chooseImage, my.chooseVideo, my.getClipboard, my.scan).
 * A refused privacy guide (隐私政策, app.json useprivacycheck) is documented only as "触发 pending 的隐私接口
 * fail 回调" (my.onNeedPrivacyAuthorization), with no code or message: it is left as 'other' rather than
 * guessed.
 */
const ALIPAY: AlipayCodes = { 11: 'cancel', 2001: 'declined', 2002: 'permission', 2003: 'permission' };

interface PlatformFailure {
  errMsg?: unknown;
  /** Alipay's code; my.chooseLocation documents it as errorCode. */
  error?: unknown;
  errorCode?: unknown;
  errorMessage?: unknown;
}

const asFailure = (e: unknown): PlatformFailure => (typeof e === 'object' && e !== null ? (e as PlatformFailure) : {});

/** `codes`: what this API's documentation gives its own codes to mean (chooseVideo's 10 on Android: cancel). */
export function failureKind(e: unknown, codes: AlipayCodes = {}): FailureKind {
  const f = asFailure(e);
  const code = typeof f.error === 'number' ? f.error : typeof f.errorCode === 'number' ? f.errorCode : undefined;
  const byCode = code === undefined ? undefined : (codes[code] ?? ALIPAY[code]);
  if (byCode) return byCode;
  const text = String(f.errMsg ?? f.errorMessage ?? e);
  if (/privacy permission is not authorized|privacy.*(deny|not agree)/i.test(text)) return 'privacyRefused';
  if (/not declared in the privacy agreement|privacy api banned/i.test(text)) return 'privacyUndeclared';
  if (/cancel/i.test(text)) return 'cancel';
  if (/auth den|auth deny|authorize:fail|permission|no access|权限/i.test(text)) return 'permission';
  return 'other';
}
