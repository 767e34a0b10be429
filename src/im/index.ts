import { watchNetwork } from '../platform/network';
import { openSocket } from '../platform/socket';
import { serverBaseUrl, socketUrlOf } from '../platform/server';
import { upload } from '../platform/upload';
import { LocalProvider } from './local/provider';
import type * as Nim from './nim';
import type { ImProvider } from './types';

/**
 * The app's provider, chosen at build time by TARO_APP_IM_PROVIDER: our own server by default, NetEase
 * Yunxin with `nim`. Taro inlines the variable, so the branch not taken – and with it the NIM SDK – is
 * dropped from the bundle.
 */
export function createProvider(deviceId: string): ImProvider {
  const baseUrl = serverBaseUrl();
  if (process.env.TARO_APP_IM_PROVIDER === 'nim') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createNimProvider } = require('./nim') as typeof Nim;
    return createNimProvider(baseUrl);
  }
  return new LocalProvider({ url: socketUrlOf(baseUrl), openSocket, watchNetwork, deviceId, upload, baseUrl });
}
