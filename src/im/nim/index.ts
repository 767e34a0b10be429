/** The NIM provider wired to this platform: our server for credentials, the SDK loaded on first use. */
import { NIM_TOKEN_PATH, type NimCredentials } from '../../../types/protocol';
import { postJson } from '../../platform/http';
import { watchNetwork } from '../../platform/network';
import { NimProvider } from './provider';

export function createNimProvider(baseUrl: string): NimProvider {
  return new NimProvider({
    credentials: (token) =>
      postJson<NimCredentials>(`${baseUrl}${NIM_TOKEN_PATH}`, {}, { bearer: token, offlineText: '网络连接失败，请检查网络' }),
    // A separate chunk on H5, fetched when the chat first connects; mini programs have no async
    // chunks, so there Taro turns this into a plain require.
    loadSdk: () => import('./load').then((m) => m.createNim),
    fileSource: (file) => (process.env.TARO_ENV === 'h5' && file.blob ? { file: file.blob as File } : { filePath: file.path }),
    watchNetwork,
  });
}
