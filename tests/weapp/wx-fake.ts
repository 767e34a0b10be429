/// <reference types="miniprogram-api-typings" />
/**
 * The WeChat native APIs the compiled weapp output calls, typed by WeChat's own typings
 * (miniprogram-api-typings). Sockets are real: each wx socket is a `ws` WebSocket to a real server.
 */
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
}

const ok = <T extends object>(extra?: T) => ({ errMsg: 'ok', ...extra });

/** `serverWsUrl` replaces whatever address the build was configured with, as a proxy would. */
export function createWxFake(serverWsUrl: string): WxFake {
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

  const wx: Partial<Wx> = {
    getSystemInfoSync: () =>
      ({ platform: 'devtools', windowWidth: 375, windowHeight: 667, pixelRatio: 2, SDKVersion: '3.0.0' }) as ReturnType<
        Wx['getSystemInfoSync']
      >,
    getStorageSync: ((key: string) => (storage.has(key) ? storage.get(key) : '')) as Wx['getStorageSync'],
    setStorageSync: (key, value) => void storage.set(key, value),
    removeStorageSync: (key) => void storage.delete(key),
    canIUse: () => true,
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
  return { wx, storage, navigations, titles, sockets, network };
}
