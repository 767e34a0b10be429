/**
 * Alipay's pickers and settings page as its documentation describes them (opendocs.alipay.com: each
 * API's 错误码), in the shape Taro hands them on: Taro rejects with my.*'s own fail argument, so no
 * errMsg, only `{ error, errorMessage }`.
 * - a dismissed picker: error 11 (用户取消操作); my.chooseVideo on Android: 10;
 * - the album or camera asked for the first time and refused: 2001, and the next call asks again
 *   ("下次调用时，会重新弹出授权框", my.chooseImage's 错误码);
 *   refused with 不再询问 ticked: 2003, and from then on every call fails at once with 2002 until the
 *   settings page (my.openSetting, Alipay's own keys: album, camera) switches it on;
 * - my.chooseLocation: its code under `errorCode` (11: cancelled), as its page documents.
 */
import type Taro from '@tarojs/taro';
import type { SettingsApi } from '../../src/platform/permission';
import { settingsOf } from '../../src/platform/permission';

type Scope = 'album' | 'camera';
type Answer = 'allow' | 'refuse' | 'refuseForever';

export interface AlipayPerson {
  /** What the person does in a picker that opened. */
  picks: boolean;
  /** The answer to the system's question for a scope: allow, refuse (asked again next time), or refuse for good. */
  prompt: Answer;
  /** Answers given before `prompt`, one per question (a refusal, then allowed when asked again). */
  prompts: Answer[];
  /** How many times the system asked. */
  asked: number;
  /** What they switch on in the settings page. */
  inSettings: (auth: Partial<Record<Scope, boolean>>) => void;
  /** Taps our explanation's confirm (去设置, 再试一次) rather than 暂不. */
  confirms: boolean;
  /** Answers to our explanations before `confirms`, one per explanation. */
  taps: boolean[];
}

export interface AlipayFake {
  person: AlipayPerson;
  /** Android reports a dismissed my.chooseVideo as 10 (iOS and the IDE: 11). */
  android: boolean;
  /** Undefined: never asked. */
  auth: Partial<Record<Scope, boolean>>;
  modals: string[];
  /** The pickers' API as Taro exposes my.* on Alipay. */
  api: Pick<typeof Taro, 'chooseImage' | 'chooseVideo' | 'chooseLocation' | 'getImageInfo' | 'previewImage' | 'chooseMessageFile'>;
  settings: SettingsApi;
}

interface AlipayFailure {
  error: number;
  errorMessage: string;
}

export function createAlipayFake(): AlipayFake {
  const fake: AlipayFake = {
    person: { picks: true, prompt: 'allow', prompts: [], asked: 0, inSettings: () => undefined, confirms: true, taps: [] },
    android: false,
    auth: {},
    modals: [],
    api: {
      chooseImage: ((o: Taro.chooseImage.Option) =>
        picker(o.sourceType?.length === 1 && o.sourceType[0] === 'camera' ? 'camera' : 'album', 11, () => ({
          tempFilePaths: ['https://resource/apml1.png'],
          tempFiles: [{ path: 'https://resource/apml1.png', size: 2048 }],
          errMsg: 'chooseImage:ok',
        }))) as typeof Taro.chooseImage,
      chooseVideo: (() =>
        picker('album', fake.android ? 10 : 11, () => ({ tempFilePath: 'https://resource/v.mp4', duration: 3, size: 9000, width: 720, height: 1280, errMsg: 'chooseVideo:ok' }))) as unknown as typeof Taro.chooseVideo,
      chooseLocation: (() =>
        fake.person.picks
          ? Promise.resolve({ name: '市第一医院', address: '解放路 1 号', latitude: 30.1, longitude: 120.2, errMsg: 'chooseLocation:ok' })
          : Promise.reject({ errorCode: 11, errorMessage: '用户取消操作' })) as typeof Taro.chooseLocation,
      getImageInfo: (async () => ({ width: 800, height: 600, path: '', orientation: 'up', type: 'png', errMsg: 'getImageInfo:ok' })) as unknown as typeof Taro.getImageInfo,
      previewImage: (async () => ({ errMsg: 'previewImage:ok' })) as typeof Taro.previewImage,
      // Alipay offers users no document picker: the app never calls it there.
      chooseMessageFile: (() => Promise.reject(new Error('Alipay has no chooseMessageFile'))) as unknown as typeof Taro.chooseMessageFile,
    },
    settings: settingsOf('alipay', {
      showModal: (async (o: Taro.showModal.Option) => {
        fake.modals.push(`${o.title}|${o.confirmText}`);
        const confirm = fake.person.taps.shift() ?? fake.person.confirms;
        const res = { confirm, cancel: !confirm, errMsg: 'showModal:ok' } as Taro.showModal.SuccessCallbackResult;
        o.success?.(res);
        return res;
      }) as typeof Taro.showModal,
      openSetting: (async () => {
        fake.person.inSettings(fake.auth);
        return { authSetting: { ...fake.auth }, errMsg: 'openSetting:ok' };
      }) as unknown as typeof Taro.openSetting,
    }),
  };

  /** The system asks for `scope` the first time; a refusal for good sticks until the settings page. */
  const permitted = (scope: Scope): AlipayFailure | undefined => {
    if (fake.auth[scope] === false) return { error: 2002, errorMessage: '用户不允许授权' };
    if (fake.auth[scope]) return undefined;
    fake.person.asked++;
    const answer = fake.person.prompts.shift() ?? fake.person.prompt;
    if (answer === 'allow') {
      fake.auth[scope] = true;
      return undefined;
    }
    if (answer === 'refuseForever') {
      fake.auth[scope] = false;
      return { error: 2003, errorMessage: '用户不允许授权' };
    }
    return { error: 2001, errorMessage: '用户不允许授权' };
  };

  function picker<T>(scope: Scope, cancelCode: number, chosen: () => T): Promise<T> {
    const refused = permitted(scope);
    if (refused) return Promise.reject(refused);
    if (!fake.person.picks) return Promise.reject({ error: cancelCode, errorMessage: '用户取消操作' } satisfies AlipayFailure);
    return Promise.resolve(chosen());
  }

  return fake;
}
