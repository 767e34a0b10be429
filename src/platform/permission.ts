/**
 * A refused permission (microphone, camera, album, location) is explained, with a way to the
 * platform's settings page: after one refusal WeChat and Douyin no longer prompt – authorize and the
 * pickers fail at once ("authorize:fail auth deny", "chooseMedia:fail auth deny"), as Alipay's do after
 * 不再询问 (error 2002) – so only openSetting can switch it back on.
 */
import Taro from '@tarojs/taro';
import type { Platform } from './env';
import { PLATFORM } from './env';
import { failureKind } from './failure';

export type PermissionKind = 'record' | 'camera' | 'album' | 'location';

const SCOPE: Record<PermissionKind, string> = {
  record: 'scope.record',
  camera: 'scope.camera',
  album: 'scope.album',
  location: 'scope.userLocation',
};

const WHY: Record<PermissionKind, { name: string; use: string }> = {
  record: { name: '麦克风', use: '录制语音发给医生' },
  camera: { name: '相机', use: '拍摄照片或视频发给医生' },
  album: { name: '相册', use: '选择照片或视频发给医生' },
  location: { name: '位置', use: '向医生发送您所在的位置' },
};

export class PermissionDeniedError extends Error {
  constructor(
    readonly kind: PermissionKind,
    /** Refused only when asked (Alipay's 2001): the next try asks again, the settings page has nothing to switch on. */
    readonly asksAgain = false,
  ) {
    const { name, use } = WHY[kind];
    super(`没有${name}权限，无法${use}。${asksAgain ? '需要时请再试一次，并在询问时选择「允许」' : '可在小程序「设置」中开启'}`);
    this.name = 'PermissionDeniedError';
  }
}

export type SettingsApi = Pick<typeof Taro, 'showModal' | 'openSetting'> & {
  /** The key openSetting's authSetting reports `kind` under, where it is not WeChat's scope name. */
  authKey?: (kind: PermissionKind) => string;
};

/** Alipay's own names in authSetting (my.getSetting / my.openSetting), which Taro passes on unchanged. */
const ALIPAY_AUTH_KEY: Record<PermissionKind, string> = { record: 'audioRecord', camera: 'camera', album: 'album', location: 'location' };

/** The settings page of `platform`: WeChat and Douyin report scopes ('scope.camera'), Alipay its own keys. */
export const settingsOf = (platform: Platform, api: Pick<typeof Taro, 'showModal' | 'openSetting'>): SettingsApi =>
  platform === 'alipay' ? { ...api, authKey: (kind) => ALIPAY_AUTH_KEY[kind] } : api;

/**
 * Runs `action`; when the platform refuses it for want of a permission, explains why we need it and
 * offers the settings page (去设置). Switched on there, the action runs once more; otherwise the caller
 * gets PermissionDeniedError, whose message says what is missing. A permission refused only when asked
 * (the next call asks again) is explained with 再试一次 instead: the action runs again and the system asks.
 */
export async function withPermission<T>(kind: PermissionKind, action: () => Promise<T>, api: SettingsApi): Promise<T> {
  try {
    return await action();
  } catch (e) {
    const failure = failureKind(e);
    if (failure === 'declined') return askAgain(kind, action, api);
    if (failure !== 'permission') throw e;
    const { name, use } = WHY[kind];
    // The settings page opens only from the person's tap (WeChat since base library 2.3.0): openSetting is
    // called inside the modal's confirm callback, while that tap lasts, not after an await.
    const settings = await new Promise<Taro.openSetting.SuccessCallbackResult | undefined>((resolve, reject) => {
      api
        .showModal({
          title: `需要${name}权限`,
          content: `${use}需要使用${name}。您已拒绝授权，请在设置中开启。`,
          confirmText: '去设置',
          cancelText: '暂不',
          // A settings page that failed to open leaves the permission refused.
          success: ({ confirm }) => resolve(confirm ? api.openSetting({}).catch(() => undefined) : undefined),
        })
        .catch(reject);
    });
    if (!settings) throw new PermissionDeniedError(kind);
    if (!(settings.authSetting as Record<string, boolean | undefined>)[api.authKey?.(kind) ?? SCOPE[kind]]) throw new PermissionDeniedError(kind);
    return action();
  }
}

async function askAgain<T>(kind: PermissionKind, action: () => Promise<T>, api: SettingsApi): Promise<T> {
  const { name, use } = WHY[kind];
  const { confirm } = await api.showModal({
    title: `需要${name}权限`,
    content: `${use}需要使用${name}。您刚才拒绝了授权，再试一次时请在询问中选择「允许」。`,
    confirmText: '再试一次',
    cancelText: '暂不',
  });
  if (!confirm) throw new PermissionDeniedError(kind, true);
  // Through withPermission again: refused once more, the person is asked once more; refused for good
  // this time (不再询问), the settings page is what is left.
  return withPermission(kind, action, api);
}

export const taroSettings: SettingsApi = settingsOf(PLATFORM, {
  showModal: (o) => Taro.showModal(o),
  openSetting: (o) => Taro.openSetting(o),
});
