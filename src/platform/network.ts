/**
 * Network reachability: the browser's online/offline events on H5, Taro.onNetworkStatusChange (wx/my/tt)
 * on mini programs. A socket can sit half-dead for a long time after the network goes; this lets the
 * provider drop it at once and reconnect the moment the network is back.
 */
import Taro from '@tarojs/taro';

export type NetworkListener = (online: boolean) => void;
export type WatchNetwork = (listener: NetworkListener) => () => void;

export function watchBrowserNetwork(listener: NetworkListener, target: Window = window): () => void {
  const online = () => listener(true);
  const offline = () => listener(false);
  target.addEventListener('online', online);
  target.addEventListener('offline', offline);
  return () => {
    target.removeEventListener('online', online);
    target.removeEventListener('offline', offline);
  };
}

export function watchMiniProgramNetwork(listener: NetworkListener): () => void {
  const onChange = (res: Taro.onNetworkStatusChange.CallbackResult) => listener(res.isConnected);
  Taro.onNetworkStatusChange(onChange);
  return () => Taro.offNetworkStatusChange(onChange);
}

export const watchNetwork: WatchNetwork =
  process.env.TARO_ENV === 'h5' ? (l) => watchBrowserNetwork(l) : watchMiniProgramNetwork;
