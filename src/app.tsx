import Taro, { useDidShow, useLaunch } from '@tarojs/taro';
import type { PropsWithChildren } from 'react';
import { savedToken } from './chat/token';
import { privacy } from './platform/privacy';
import { IS_MINI_PROGRAM } from './session';
import { tokenStale } from './session/miniapp';
import './app.css';

const ENTRY = 'pages/entry/index';

export default function App({ children }: PropsWithChildren) {
  // The privacy guide is asked for where a privacy API is first used (platform/privacy.ts).
  useLaunch(() => privacy.start());

  // Back in the foreground with a session that expired meanwhile: the entry page signs in again with a
  // fresh platform code (no SMS) and returns to the chat that was open.
  useDidShow((options?: { path?: string; query?: Record<string, string> }) => {
    const token = savedToken();
    if (!IS_MINI_PROGRAM || !token || !tokenStale(token, Date.now())) return;
    const pages = Taro.getCurrentPages();
    const top = pages[pages.length - 1] as { route?: string; options?: Record<string, string> } | undefined;
    const route = top?.route ?? options?.path;
    // A cold launch opens the entry page, which signs in anyway.
    if (!route || route === ENTRY) return;
    const query = top?.options ?? options?.query ?? {};
    const session = route === 'consult/chat/index' && query.id ? `?session=${query.id}` : '';
    void Taro.reLaunch({ url: `/${ENTRY}${session}` });
  });

  return children;
}
