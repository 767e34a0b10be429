/// <reference types="miniprogram-api-typings" />
/**
 * The WeChat native APIs the compiled weapp output calls, typed by WeChat's own typings
 * (miniprogram-api-typings). Sockets are real: each wx socket is a `ws` WebSocket to a real server.
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
  /** Options the app passed to wx.uploadFile. */
  uploads: WechatMiniprogram.UploadFileOption[];
  /** What the app asked wx.setVisualEffectOnCapture for, in order. */
  captureEffects: string[];
}

const ok = <T extends object>(extra?: T) => ({ errMsg: 'ok', ...extra });

/**
 * `serverUrl` (http://host:port) replaces whatever address the build was configured with, as a proxy
 * would, for sockets and uploads alike.
 */
export function createWxFake(serverUrl: string): WxFake {
  const serverWsUrl = `${serverUrl.replace('http', 'ws')}/ws`;
  const files = new Map<string, { bytes: Buffer; width: number; height: number }>();
  const uploads: WechatMiniprogram.UploadFileOption[] = [];
  const storage = new Map<string, unknown>();
  const navigations: string[] = [];
  const titles: string[] = [];
  const sockets: WebSocket[] = [];
  const network = new Set<WechatMiniprogram.OnNetworkStatusChangeCallback>();

  const connectSocket: Wx['connectSocket'] = (option) => {
    const ws = new WebSocket(serverWsUrl);
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
    const target = new URL(option.url);
    const bytes = files.get(option.filePath)?.bytes ?? Buffer.alloc(0);
    const boundary = 'wxfakeBoundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${option.name}"; filename="${option.filePath.split('/').pop()}"\r\n\r\n`,
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    // jsdom has no fetch: a plain Node request, as WeChat's client makes one.
    const req = request(serverUrl + target.pathname + target.search, {
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

  const captureEffects: string[] = [];
  const wx: Partial<Wx> = {
    uploadFile,
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
  return { wx, storage, navigations, titles, sockets, network, files, uploads, captureEffects };
}
