import type { ImErrorCode } from '../im/types';
import { ImError } from '../im/types';

/** What the person sees for each failure: specific enough to know what to do next. */
const TEXT: Record<ImErrorCode, string> = {
  badFrame: '请求格式错误',
  frameTooLarge: '消息过大',
  unsupportedVersion: '版本过旧，请刷新页面',
  unauthenticated: '尚未登录',
  authFailed: '登录凭证无效，请重新通过短信链接进入',
  tokenExpired: '登录已过期，请重新通过短信链接进入',
  forbidden: '无权访问该会话',
  notFound: '会话不存在',
  invalidMessage: '消息内容无效',
  messageTooLarge: '消息过长，请分段发送',
  recallExpired: '发送超过2分钟的消息不能撤回',
  invalidUpload: '文件格式不支持',
  fileTooLarge: '文件过大',
  consultationClosed: '本次问诊已结束，无法继续发送消息',
  quotaExceeded: '本次问诊的消息条数已用完',
  rateLimited: '发送太频繁，请稍后再试',
  contentBlocked: '消息含有不允许发送的内容，未发送',
  invalidReply: '引用的消息不存在或已不可见，请取消引用后再发',
  invalidTransition: '当前问诊状态不允许此操作',
  linkExpired: '链接已过期，请联系医院重新发送',
  linkUsed: '该链接已使用过，请联系医院重新发送',
  notBound: '尚未绑定，请通过医院发送的短信链接进入一次',
  codeInvalid: '登录码已失效，请重试',
  platformError: '平台服务暂时不可用，请稍后重试',
  drugNotAllowed: '处方含有不能在线开具的药品（麻醉、精神类等特殊管理药品）',
  consentRequired: '请先确认就诊人并同意知情同意书',
  identityRequired: '请先确认就诊人信息',
  alreadyRated: '您已评价过本次问诊',
  internal: '服务器繁忙，请稍后重试',
  timeout: '发送超时，请重试',
  disconnected: '连接已断开，正在重连…',
  offline: '网络不可用，消息将在联网后发送',
  duplicateLogin: '您的账号已在其他设备登录，本设备已下线',
  unsupported: '当前通讯服务不支持此操作',
};

export function errorText(code: ImErrorCode | undefined): string {
  return (code && TEXT[code]) || TEXT.internal;
}

/** A failed request as the person reads it: the server's own words where it gave some. */
export function failureText(e: unknown): string {
  return e instanceof ImError ? (e.userText ?? errorText(e.code)) : errorText(undefined);
}

/**
 * Where the chat's input was, when this device cannot write here: signed out for good (the banner above
 * says how to get back in), the address names someone else's consultation (the server refused to
 * open it), or the consultation on screen stopped being this person's (transferred to another doctor,
 * purged: the device dropped it). Typing on would only pile up messages that cannot go.
 */
export const NO_INPUT_LINE = {
  authFailed: '登录已失效，本设备无法发送消息',
  kicked: '已在其他设备登录，本设备无法发送消息',
  notMember: '这不是您的问诊，无法打开',
  dropped: '本次问诊已不在您的问诊列表中，无法继续查看或发送消息',
} as const;
export type NoInputReason = keyof typeof NO_INPUT_LINE;

/**
 * Why the chat takes no input, if it does not. A dropped consultation says so first: signing in again
 * would not bring it back, and the server's refusal to open it since (notMember) is the drop's echo.
 */
export function noInputReason(signedOut: 'authFailed' | 'kicked' | undefined, dropped: boolean, notMember: boolean): NoInputReason | undefined {
  if (dropped) return 'dropped';
  return signedOut ?? (notMember ? 'notMember' : undefined);
}
