/// <reference types="miniprogram-api-typings" />
/**
 * The WeChat native APIs the compiled weapp output calls, typed by WeChat's own typings
 * (miniprogram-api-typings). Requests, uploads and sockets are real, to a real server, but only for
 * the build's configured domain, as WeChat's domain whitelist allows: any other address fails with
 * WeChat's "url not in domain list". Privacy APIs wait for the privacy guide through
 * onNeedPrivacyAuthorization as WeChat documents; permissions are refused or granted like WeChat's
 * (after one refusal only openSetting switches them back on).
 */
import { request } from 'node:http';
import { WebSocket } from 'ws';

type Wx = WechatMiniprogram.Wx;

export interface WxFake {
  wx: Partial<Wx>;
  storage: Map<string, unknown>;
  navigations: string[];
  titles: string[];
  sockets: WebSocket[];
  /** What the app registered with wx.onNetworkStatusChange: call to simulate the network changing. */
  network: Set<WechatMiniprogram.OnNetworkStatusChangeCallback>;
  /** Temp files of this "device": what wx.chooseImage offers next and wx.uploadFile reads. */
  files: Map<string, { bytes: Buffer; width: number; height: number }>;
  /**
   * The mini program's user files (wx.env.USER_DATA_PATH, written through the FileSystemManager):
   * unlike temp files they outlive the run. wx.uploadFile reads them too.
   */
  userFiles: Map<string, { bytes: Buffer; width: number; height: number }>;
  /** FileSystemManager calls that fail with WeChat's permission denied (errCode 1300013), as a full or locked-down file system may. */
  fsRefusing: Set<'readdir' | 'unlink'>;
  /** Options the app passed to wx.uploadFile. */
  uploads: WechatMiniprogram.UploadFileOption[];
  /** While set, every wx.uploadFile fails with this errMsg at once (no network) and reaches no server. */
  uploadError?: string;
  /** What the app asked wx.setVisualEffectOnCapture for, in order. */
  captureEffects: string[];
  /** `METHOD path` of every wx.request that reached the server, in order. */
  requests: string[];
  /** URLs refused for not being on the domain list, in order. */
  refused: string[];
  /** The WeChat user of this device: wx.login gives a fresh code of theirs (see `login`). */
  login: () => string;
  /** While set, wx.login fails with this errMsg (no network, WeChat's own timeout) instead. */
  loginError?: string;
  /** While set, every wx.request fails with this errMsg at once (no network) and reaches no server. */
  requestError?: string;
  /**
   * The APIs whose answer never comes (a bad network): each such call waits, as WeChat's do, until its
   * `timeout` option (WeChat's default of 60 s without one) has passed on the fake's clock (`elapse`),
   * then fails with "<api>:fail timeout".
   */
  unanswered: Set<'login' | 'request'>;
  /** Calls waiting for an answer that does not come, with the timeout each waits for. */
  waiting: Array<{ api: 'login' | 'request'; timeout: number }>;
  /** Moves the fake's clock: unanswered calls whose timeout has passed fail. */
  elapse: (ms: number) => void;
  /** Privacy guide: agreed yet? The app's onNeedPrivacyAuthorization listener; the resolves it made; how often the guide was opened. */
  privacy: { agreed: boolean; listener?: PrivacyListener; answers: string[]; contractOpened: number };
  /** Permission state per scope (undefined: never asked); what the person answers a first prompt. */
  auth: Record<string, boolean | undefined>;
  answerPrompt: (scope: string) => boolean;
  /** What the person switches on in the settings page wx.openSetting shows. */
  inSettings: (auth: Record<string, boolean | undefined>) => void;
  modals: WechatMiniprogram.ShowModalOption[];
  /** Confirm (true) or cancel each modal. */
  modalAnswer: boolean;
  openSettingCalls: number;
  /** openSetting calls WeChat refused for not coming from a tap. */
  openSettingRefused: number;
  toasts: string[];
  /**
   * Subscription messages: `gesture` is on only while a tap is being dispatched (see `tap` in the
   * tests), as WeChat shows the prompt only from a tap; what each prompt was for; the person's answer.
   */
  subscribe: { gesture: boolean; asked: string[][]; refused: string[][]; answer: (tmplId: string) => 'accept' | 'reject' };
  /** The item the person taps in wx.showActionSheet (its index), or undefined to dismiss the sheet. */
  actionSheet: (items: string[]) => number | undefined;
  /** What wx.setClipboardData (a privacy API: 剪切板) put on the clipboard. */
  clipboard?: string;
}

/** As WeChat documents it: resolve({ event, buttonId }) and eventInfo { referrer } (the typings omit the latter). */
type PrivacyListener = (resolve: (o: { event: string; buttonId?: string }) => void, info: { referrer: string }) => void;

const ok = <T extends object>(extra?: T) => ({ errMsg: 'ok', ...extra });

/** wx.request's and wx.login's timeout when the call names none (WeChat: 60 s, also the most allowed). */
const WX_DEFAULT_TIMEOUT_MS = 60_000;

const fileOk = { errMsg: 'ok', errCode: 0 };
const noSuchFile = (api: string, path: string) => ({ errMsg: `${api}:fail no such file or directory ${path}`, errCode: 1300002 });
const permissionDenied = (api: string, path: string) => ({ errMsg: `${api}:fail permission denied, open ${path}`, errCode: 1300013 });

/** wx.env.USER_DATA_PATH on this fake. */
export const USER_DATA_PATH = 'wxfile://usr';

/** The domain the simulator tests' build is configured with (.env.test). */
export const TEST_DOMAIN = 'im.medchat.test';

/**
 * `domain` is the build's configured server domain: requests to https://<domain> and wss://<domain>
 * go to `serverUrl` (http://host:port), the test server, as DNS would send them there; every other
 * address is refused as WeChat refuses one missing from the admin console's domain lists.
 */
export function createWxFake(serverUrl: string, domain: string = TEST_DOMAIN): WxFake {
  const refused: string[] = [];
  const requests: string[] = [];
  /** The test server's URL for `url`, or undefined (recorded) when WeChat would refuse it. */
  const route = (url: string, scheme: 'https:' | 'wss:'): string | undefined => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      refused.push(url);
      return undefined;
    }
    if (u.protocol !== scheme || u.hostname !== domain || (u.port && u.port !== '443')) {
      refused.push(url);
      return undefined;
    }
    const base = scheme === 'wss:' ? serverUrl.replace(/^http/, 'ws') : serverUrl;
    return base + u.pathname + u.search;
  };
  const notInDomainList = (api: string) => ({ errMsg: `${api}:fail url not in domain list` });
  const files = new Map<string, { bytes: Buffer; width: number; height: number }>();
  const userFiles = new Map<string, { bytes: Buffer; width: number; height: number }>();
  const uploads: WechatMiniprogram.UploadFileOption[] = [];
  const storage = new Map<string, unknown>();
  const navigations: string[] = [];
  const titles: string[] = [];
  const sockets: WebSocket[] = [];
  const network = new Set<WechatMiniprogram.OnNetworkStatusChangeCallback>();

  const connectSocket: Wx['connectSocket'] = (option) => {
    const target = route(option.url, 'wss:');
    if (!target) {
      // WeChat still returns a task; it fails at once and never opens.
      const errors: Array<(e: { errMsg: string }) => void> = [];
      setTimeout(() => errors.forEach((cb) => cb(notInDomainList('connectSocket'))), 0);
      option.fail?.(notInDomainList('connectSocket'));
      return {
        send: (o: { fail?: (e: unknown) => void }) => o.fail?.({ errMsg: 'sendSocketMessage:fail' }),
        close: () => undefined,
        onOpen: () => undefined,
        onClose: () => undefined,
        onError: (cb: (e: { errMsg: string }) => void) => void errors.push(cb),
        onMessage: () => undefined,
      } as unknown as WechatMiniprogram.SocketTask;
    }
    const ws = new WebSocket(target);
    sockets.push(ws);
    const task: WechatMiniprogram.SocketTask = {
      send: (o) => {
        ws.send(o.data as string);
        o.success?.(ok());
      },
      close: (o) => {
        ws.close(o.code ?? 1000, o.reason);
        o.success?.(ok());
      },
      onOpen: (cb) => void ws.on('open', () => cb({ header: {}, profile: {} as WechatMiniprogram.SocketProfile })),
      onClose: (cb) => void ws.on('close', (code, reason) => cb({ code, reason: reason.toString() })),
      onError: (cb) => void ws.on('error', (e) => cb({ errMsg: e.message })),
      onMessage: (cb) => void ws.on('message', (data) => cb({ data: data.toString() })),
    };
    option.success?.(ok());
    return task;
  };

  /** Posts the temp file as multipart to the real server; progress is reported once, at the end. */
  const uploadFile: Wx['uploadFile'] = (option) => {
    uploads.push(option);
    const progress = new Set<WechatMiniprogram.UploadTaskOnProgressUpdateCallback>();
    const failure = fake.uploadError;
    const routed = failure ? undefined : route(option.url, 'https:');
    if (failure) {
      setTimeout(() => option.fail?.({ errMsg: failure }), 0);
      return { abort: () => undefined, onProgressUpdate: () => undefined } as unknown as WechatMiniprogram.UploadTask;
    }
    if (!routed) {
      setTimeout(() => option.fail?.(notInDomainList('uploadFile')), 0);
      return { abort: () => undefined, onProgressUpdate: () => undefined } as unknown as WechatMiniprogram.UploadTask;
    }
    const bytes = (files.get(option.filePath) ?? userFiles.get(option.filePath))?.bytes ?? Buffer.alloc(0);
    const boundary = 'wxfakeBoundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${option.name}"; filename="${option.filePath.split('/').pop()}"\r\n\r\n`,
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    // jsdom has no fetch: a plain Node request, as WeChat's client makes one.
    const req = request(routed, {
      method: 'POST',
      headers: { ...option.header, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        for (const cb of progress) cb({ progress: 100, totalBytesSent: bytes.length, totalBytesExpectedToSend: bytes.length });
        option.success?.({
          statusCode: res.statusCode ?? 0,
          data: Buffer.concat(chunks).toString(),
          errMsg: 'uploadFile:ok',
        } as WechatMiniprogram.UploadFileSuccessCallbackResult);
      });
    });
    req.on('error', (e) => option.fail?.({ errMsg: `uploadFile:fail ${e.message}` }));
    req.end(body);
    return {
      abort: () => undefined,
      onProgressUpdate: (cb: WechatMiniprogram.UploadTaskOnProgressUpdateCallback) => void progress.add(cb),
      offProgressUpdate: () => undefined,
      onHeadersReceived: () => undefined,
      offHeadersReceived: () => undefined,
    } as WechatMiniprogram.UploadTask;
  };

  // Unanswered calls, each failing once the fake's clock passes its deadline.
  let clock = 0;
  const stalled: Array<{ api: 'login' | 'request'; timeout: number; due: number; fail: (errMsg: string) => void }> = [];
  const stall = (api: 'login' | 'request', timeout: number | undefined, fail: (res: { errMsg: string; errno: number }) => void) => {
    const wait = timeout ?? WX_DEFAULT_TIMEOUT_MS;
    stalled.push({ api, timeout: wait, due: clock + wait, fail: (errMsg) => fail({ errMsg, errno: 5 }) });
  };
  const elapse = (ms: number) => {
    clock += ms;
    for (const call of stalled.filter((c) => c.due <= clock)) {
      stalled.splice(stalled.indexOf(call), 1);
      setTimeout(() => call.fail(`${call.api}:fail timeout`), 0);
    }
  };

  /** wx.request: JSON to our server, as WeChat sends an object `data` with a JSON content type. */
  const wxRequest = ((option: WechatMiniprogram.RequestOption) => {
    if (fake.unanswered.has('request')) {
      stall('request', option.timeout, (e) => option.fail?.(e));
      return { abort: () => undefined } as WechatMiniprogram.RequestTask;
    }
    const failure = fake.requestError;
    if (failure) {
      setTimeout(() => option.fail?.({ errMsg: failure, errno: 5 }), 0);
      return { abort: () => undefined } as WechatMiniprogram.RequestTask;
    }
    const routed = route(option.url, 'https:');
    if (!routed) {
      setTimeout(() => option.fail?.({ ...notInDomainList('request'), errno: 600002 }), 0);
      return { abort: () => undefined } as WechatMiniprogram.RequestTask;
    }
    requests.push(`${option.method ?? 'GET'} ${new URL(routed).pathname}`);
    const body = option.data === undefined ? '' : typeof option.data === 'string' ? option.data : JSON.stringify(option.data);
    const req = request(routed, {
      method: option.method ?? 'GET',
      headers: { ...(option.header as Record<string, string>), 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // dataType json: a body that is not JSON stays a string
        }
        option.success?.({ data, statusCode: res.statusCode ?? 0, header: res.headers, cookies: [], errMsg: 'request:ok' } as unknown as WechatMiniprogram.RequestSuccessCallbackResult);
      });
    });
    req.on('error', (e) => option.fail?.({ errMsg: `request:fail ${e.message}`, errno: 5 }));
    req.end(body);
    return { abort: () => req.destroy() } as unknown as WechatMiniprogram.RequestTask;
  }) as Wx['request'];

  // Privacy: a privacy API called before the guide was agreed to waits for the listener's answer.
  const privacy: WxFake['privacy'] = { agreed: false, answers: [], contractOpened: 0 };
  const privacyGate = (api: string, proceed: () => void, fail: (res: { errMsg: string }) => void) => {
    if (privacy.agreed || !privacy.listener) return proceed();
    let settled = false;
    privacy.listener(
      (o: { event: string; buttonId?: string }) => {
        privacy.answers.push(o.buttonId ? `${o.event}:${o.buttonId}` : o.event);
        if (o.event === 'exposureAuthorization' || settled) return;
        settled = true;
        // The base library accepts an agree only with the id of the agree button that was tapped.
        if (o.event === 'agree' && o.buttonId) {
          privacy.agreed = true;
          proceed();
        } else fail({ errMsg: `${api}:fail privacy permission is not authorized` });
      },
      { referrer: api },
    );
  };

  // Permissions: the first call prompts; a refusal sticks until the settings page changes it.
  const state = {
    auth: {} as Record<string, boolean | undefined>,
    answerPrompt: (_scope: string) => true,
    inSettings: (auth: Record<string, boolean | undefined>) => void auth,
    modals: [] as WechatMiniprogram.ShowModalOption[],
    modalAnswer: true,
    openSettingCalls: 0,
    openSettingRefused: 0,
    toasts: [] as string[],
  };
  let modalTap = false;
  const permitted = (scope: string): boolean => {
    if (state.auth[scope] === undefined) state.auth[scope] = state.answerPrompt(scope);
    return state.auth[scope] === true;
  };
  const deny = (api: string) => ({ errMsg: `${api}:fail auth deny` });

  const captureEffects: string[] = [];
  const wx: Partial<Wx> = {
    request: wxRequest,
    login: ((o: WechatMiniprogram.LoginOption) => {
      if (fake.unanswered.has('login')) return void stall('login', o.timeout, (e) => o.fail?.(e));
      const failure = fake.loginError;
      if (failure) return void setTimeout(() => o.fail?.({ errMsg: failure, errno: 5 }), 0);
      const code = fake.login();
      setTimeout(() => o.success?.({ code, errMsg: 'login:ok' }), 0);
    }) as Wx['login'],
    onNeedPrivacyAuthorization: ((listener: PrivacyListener) => void (privacy.listener = listener)) as unknown as Wx['onNeedPrivacyAuthorization'],
    openPrivacyContract: ((o: { success?: (r: unknown) => void }) => (privacy.contractOpened++, o?.success?.(ok()))) as Wx['openPrivacyContract'],
    authorize: ((o: WechatMiniprogram.AuthorizeOption) =>
      privacyGate(
        'authorize',
        () => (permitted(o.scope) ? o.success?.(ok()) : o.fail?.({ errMsg: 'authorize:fail auth deny' })),
        (e) => o.fail?.(e),
      )) as Wx['authorize'],
    getSetting: ((o: WechatMiniprogram.GetSettingOption) =>
      o.success?.({ authSetting: { ...state.auth }, errMsg: 'getSetting:ok' } as unknown as WechatMiniprogram.GetSettingSuccessCallbackResult)) as Wx['getSetting'],
    openSetting: ((o: WechatMiniprogram.OpenSettingOption) => {
      // Since base library 2.3.0 the settings page opens only from the person's tap (a page's or a modal's button).
      if (!modalTap && !subscribe.gesture) {
        state.openSettingRefused++;
        return void setTimeout(() => o.fail?.({ errMsg: 'openSetting:fail can only be invoked by user TAP gesture.' }), 0);
      }
      state.openSettingCalls++;
      state.inSettings(state.auth);
      setTimeout(() => o.success?.({ authSetting: { ...state.auth }, errMsg: 'openSetting:ok' } as unknown as WechatMiniprogram.OpenSettingSuccessCallbackResult), 0);
    }) as Wx['openSetting'],
    showModal: ((o: WechatMiniprogram.ShowModalOption) => {
      state.modals.push(o);
      const confirm = state.modalAnswer;
      setTimeout(() => {
        // The person taps a button: that tap lasts while its callback runs, not after.
        modalTap = true;
        try {
          o.success?.({ confirm, cancel: !confirm, errMsg: 'showModal:ok' } as WechatMiniprogram.ShowModalSuccessCallbackResult);
        } finally {
          modalTap = false;
        }
      }, 0);
    }) as Wx['showModal'],
    showToast: ((o: WechatMiniprogram.ShowToastOption) => {
      state.toasts.push(o.title);
      o.success?.(ok());
    }) as Wx['showToast'],
    chooseMedia: ((o: WechatMiniprogram.ChooseMediaOption) =>
      privacyGate(
        'chooseMedia',
        () => {
          if (o.sourceType?.length === 1 && o.sourceType[0] === 'camera' && !permitted('scope.camera')) return o.fail?.(deny('chooseMedia'));
          const video = o.mediaType?.[0] === 'video';
          const tempFiles = [...files.entries()].map(([path, f]) => ({
            tempFilePath: path,
            size: f.bytes.length,
            fileType: video ? 'video' : 'image',
            width: f.width,
            height: f.height,
            duration: video ? 3.5 : 0,
            thumbTempFilePath: video ? `${path}.thumb.jpg` : '',
          }));
          setTimeout(() => o.success?.({ tempFiles, type: video ? 'video' : 'image', errMsg: 'chooseMedia:ok' } as WechatMiniprogram.ChooseMediaSuccessCallbackResult), 0);
        },
        (e) => o.fail?.(e),
      )) as Wx['chooseMedia'],
    showActionSheet: ((o: WechatMiniprogram.ShowActionSheetOption) => {
      const tapIndex = fake.actionSheet(o.itemList);
      setTimeout(() =>
        tapIndex === undefined
          ? o.fail?.({ errMsg: 'showActionSheet:fail cancel' })
          : o.success?.({ tapIndex, errMsg: 'showActionSheet:ok' } as WechatMiniprogram.ShowActionSheetSuccessCallbackResult),
      );
    }) as Wx['showActionSheet'],
    setClipboardData: ((o: WechatMiniprogram.SetClipboardDataOption) =>
      privacyGate(
        'setClipboardData',
        () => {
          fake.clipboard = o.data;
          setTimeout(() => o.success?.(ok()), 0);
        },
        (e) => o.fail?.(e),
      )) as Wx['setClipboardData'],
    navigateBack: ((o: WechatMiniprogram.NavigateBackOption) => {
      navigations.push('back');
      o?.success?.(ok());
    }) as Wx['navigateBack'],
    uploadFile,
    env: { USER_DATA_PATH: USER_DATA_PATH },
    // As WeChat documents them: a path that is not there fails with errCode 1300002 (no such file or directory).
    getFileSystemManager: () =>
      ({
        copyFile: (o: WechatMiniprogram.CopyFileOption) => {
          const src = files.get(o.srcPath) ?? userFiles.get(o.srcPath);
          if (!src || !o.destPath.startsWith(`${USER_DATA_PATH}/`)) return void setTimeout(() => o.fail?.(noSuchFile('copyFile', o.srcPath)), 0);
          userFiles.set(o.destPath, src);
          setTimeout(() => o.success?.(fileOk), 0);
        },
        access: (o: WechatMiniprogram.AccessOption) =>
          void setTimeout(() => (userFiles.has(o.path) || files.has(o.path) ? o.success?.(fileOk) : o.fail?.(noSuchFile('access', o.path))), 0),
        unlink: (o: WechatMiniprogram.UnlinkOption) =>
          void setTimeout(() => {
            if (fake.fsRefusing.has('unlink')) o.fail?.(permissionDenied('unlink', o.filePath));
            else if (userFiles.delete(o.filePath)) o.success?.(fileOk);
            else o.fail?.(noSuchFile('unlink', o.filePath));
            o.complete?.(fileOk);
          }, 0),
        // The names of the directory's entries (one level), as WeChat gives them: not paths.
        readdir: (o: WechatMiniprogram.ReaddirOption) =>
          void setTimeout(() => {
            const dir = `${o.dirPath.replace(/\/$/, '')}/`;
            const names = new Set([...userFiles.keys()].filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length).split('/')[0]));
            if (fake.fsRefusing.has('readdir')) o.fail?.(permissionDenied('readdir', o.dirPath));
            else if (dir === `${USER_DATA_PATH}/` || names.size) o.success?.({ ...fileOk, files: [...names] });
            else o.fail?.(noSuchFile('readdir', o.dirPath));
            o.complete?.(fileOk);
          }, 0),
      }) as unknown as WechatMiniprogram.FileSystemManager,
    setVisualEffectOnCapture: ((o: WechatMiniprogram.SetVisualEffectOnCaptureOption) => {
      captureEffects.push(o.visualEffect ?? 'none');
      o.success?.(ok());
    }) as Wx['setVisualEffectOnCapture'],
    chooseImage: ((o: WechatMiniprogram.ChooseImageOption) => {
      const paths = [...files.keys()];
      o.success?.({
        errMsg: 'chooseImage:ok',
        tempFilePaths: paths,
        tempFiles: paths.map((path) => ({ path, size: files.get(path)?.bytes.length ?? 0 })),
      });
    }) as Wx['chooseImage'],
    getImageInfo: ((o: WechatMiniprogram.GetImageInfoOption) => {
      const f = files.get(o.src);
      o.success?.({ errMsg: 'getImageInfo:ok', width: f?.width ?? 0, height: f?.height ?? 0, path: o.src, orientation: 'up', type: 'png' });
    }) as Wx['getImageInfo'],
    getSystemInfoSync: () =>
      ({ platform: 'devtools', windowWidth: 375, windowHeight: 667, pixelRatio: 2, SDKVersion: '3.0.0' }) as ReturnType<
        Wx['getSystemInfoSync']
      >,
    getStorageSync: ((key: string) => (storage.has(key) ? storage.get(key) : '')) as Wx['getStorageSync'],
    setStorageSync: (key, value) => void storage.set(key, value),
    removeStorageSync: (key) => void storage.delete(key),
    canIUse: () => true,
    // Nothing is laid out in the simulator: every node measures as wx reports an unrendered one (null).
    createSelectorQuery: (() => {
      const callbacks: Array<(rect: null) => void> = [];
      const query = {
        select: () => query,
        boundingClientRect: (cb: (rect: null) => void) => (callbacks.push(cb), query),
        exec: () => void setTimeout(() => callbacks.splice(0).forEach((cb) => cb(null)), 0),
      };
      return query as unknown as WechatMiniprogram.SelectorQuery;
    }) as Wx['createSelectorQuery'],
    nextTick: (fn) => void setTimeout(fn, 0),
    connectSocket,
    onNetworkStatusChange: (cb) => void network.add(cb),
    offNetworkStatusChange: (cb) => void network.delete(cb as unknown as WechatMiniprogram.OnNetworkStatusChangeCallback),
    setNavigationBarTitle: ((o: WechatMiniprogram.SetNavigationBarTitleOption) => {
      titles.push(o.title);
      o.success?.(ok());
    }) as Wx['setNavigationBarTitle'],
    reLaunch: ((o: WechatMiniprogram.ReLaunchOption) => {
      navigations.push(o.url);
      o.success?.(ok());
    }) as Wx['reLaunch'],
    navigateTo: ((o: WechatMiniprogram.NavigateToOption) => {
      navigations.push(o.url);
      o.success?.({ errMsg: 'ok', eventChannel: {} as WechatMiniprogram.EventChannel });
    }) as Wx['navigateTo'],
  };
  const subscribe: WxFake['subscribe'] = { gesture: false, asked: [], refused: [], answer: () => 'accept' };
  wx.requestSubscribeMessage = ((o: WechatMiniprogram.RequestSubscribeMessageOption) => {
    if (!subscribe.gesture) {
      subscribe.refused.push(o.tmplIds);
      const err = { errMsg: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.', errCode: 20004 };
      return void setTimeout(() => (o.fail?.(err), o.complete?.(err)), 0);
    }
    subscribe.asked.push(o.tmplIds);
    const res = { ...Object.fromEntries(o.tmplIds.map((id) => [id, subscribe.answer(id)])), errMsg: 'requestSubscribeMessage:ok' };
    // The person answers the prompt a moment later.
    setTimeout(() => (o.success?.(res as WechatMiniprogram.RequestSubscribeMessageSuccessCallbackResult), o.complete?.(res)), 10);
  }) as Wx['requestSubscribeMessage'];
  const fake: WxFake = {
    subscribe,
    actionSheet: () => undefined,
    wx,
    storage,
    navigations,
    titles,
    sockets,
    network,
    files,
    userFiles,
    fsRefusing: new Set(),
    uploads,
    captureEffects,
    refused,
    requests,
    unanswered: new Set(),
    get waiting() {
      return stalled.map(({ api, timeout }) => ({ api, timeout }));
    },
    elapse,
    login: () => {
      throw new Error('no WeChat user on this fake: set fake.login');
    },
    privacy,
    get auth() {
      return state.auth;
    },
    set auth(v) {
      state.auth = v;
    },
    get answerPrompt() {
      return state.answerPrompt;
    },
    set answerPrompt(v) {
      state.answerPrompt = v;
    },
    get inSettings() {
      return state.inSettings;
    },
    set inSettings(v) {
      state.inSettings = v;
    },
    modals: state.modals,
    get modalAnswer() {
      return state.modalAnswer;
    },
    set modalAnswer(v) {
      state.modalAnswer = v;
    },
    get openSettingCalls() {
      return state.openSettingCalls;
    },
    set openSettingCalls(v) {
      state.openSettingCalls = v;
    },
    get openSettingRefused() {
      return state.openSettingRefused;
    },
    toasts: state.toasts,
  };
  return fake;
}
