import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { chat } from '../../chat';
import { saveToken } from '../../chat/token';
import { type Problem, signInForLaunch } from './launch';
import { prefetchChat } from './prefetch';
import './index.css';

// This module is evaluated when the router opens the entry page, before the page first renders: the
// chat's code downloads while the rest of the app starts up and the page signs in.
prefetchChat();

/**
 * The SMS link lands here with `?link=…` (a one-time token) and optionally `&session=…`; on mini
 * programs every launch signs in with the platform's code (launch.ts). Then one navigation to the chat
 * or the sessions list: chaining reLaunch and navigateTo races in Taro's H5 router and can leave every
 * page hidden.
 */
export default function Entry() {
  const { params } = useRouter();
  const [problem, setProblem] = useState<Problem>();
  // Each 重试 signs in afresh (a new platform code, a new request).
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const session = params.session ? decodeURIComponent(params.session) : undefined;
    const go = (token: string) => {
      saveToken(token);
      void Taro.reLaunch({
        url: session ? `/consult/chat/index?id=${encodeURIComponent(session)}` : '/consult/sessions/index',
      });
      // Connecting, signing in and syncing overlap the navigation and the chat page's first render;
      // the chat page's own start with this token joins the same connection.
      chat().start(token).catch(() => undefined);
    };
    chat().preconnect();
    signInForLaunch(params).then(go, (p: Problem) => {
      chat().cancelPreconnect();
      setProblem(p);
    });
  }, [params, attempt]);

  return (
    <View className='entry'>
      {problem ? (
        <View className='entry-problem'>
          <Text className='entry-title'>{problem.title}</Text>
          <Text className='entry-hint'>{problem.text}</Text>
          {problem.retry && (
            <Button
              className='entry-retry'
              onClick={() => {
                setProblem(undefined);
                setAttempt((n) => n + 1);
              }}
            >
              重试
            </Button>
          )}
        </View>
      ) : (
        <Text className='entry-hint'>正在进入问诊…</Text>
      )}
    </View>
  );
}
