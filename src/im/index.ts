import { watchNetwork } from '../platform/network';
import { openSocket } from '../platform/socket';
import { serverBaseUrl, socketUrlOf } from '../platform/server';
import { LocalProvider } from './local/provider';
import type { ImProvider } from './types';

/** The app's provider: our own server (the NIM provider joins here once configured). */
export function createProvider(deviceId: string): ImProvider {
  return new LocalProvider({ url: socketUrlOf(serverBaseUrl()), openSocket, watchNetwork, deviceId });
}
