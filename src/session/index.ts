/** The app's mini-program sign-in, wired to this platform's login code and our server. */
import type { MiniappPlatform } from '../../types/miniapp';
import { PLATFORM } from '../platform/env';
import { postJson } from '../platform/http';
import { getLoginCode } from '../platform/login';
import { serverBaseUrl } from '../platform/server';
import type { SignInDeps } from './miniapp';

export const IS_MINI_PROGRAM = PLATFORM !== 'h5';

export const signInDeps = (): SignInDeps => ({
  platform: PLATFORM as MiniappPlatform,
  loginCode: getLoginCode,
  post: (path, body, opts) =>
    postJson(`${serverBaseUrl()}${path}`, body, { ...opts, offlineText: '网络连接失败，请检查网络后重试' }),
});
