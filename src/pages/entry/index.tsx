import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { savedToken, saveToken } from '../../chat/token';
import { exchangeLink } from '../../chat/login';
import { HttpError } from '../../platform/http-error';
import './index.css';

const TITLES: Partial<Record<HttpError['code'], string>> = {
  linkExpired: '链接已过期',
  linkUsed: '链接已使用过',
  authFailed: '链接无效',
  network: '网络连接失败',
};

/**
 * The SMS link lands here with `?link=…` (a one-time token, exchanged for a session) and optionally
 * `&session=…`; mini programs launched by a host app may pass a session `token` instead. Then one
 * navigation to the chat or the sessions list: chaining reLaunch and navigateTo races in Taro's H5
 * router and can leave every page hidden.
 */
export default function Entry() {
  const { params } = useRouter();
  const [problem, setProblem] = useState<{ title: string; text: string }>();

  useEffect(() => {
    const session = params.session ? decodeURIComponent(params.session) : undefined;
    const go = (token: string) => {
      saveToken(token);
      void Taro.reLaunch({
        url: session ? `/consult/chat/index?id=${encodeURIComponent(session)}` : '/consult/sessions/index',
      });
    };
    if (params.link) {
      exchangeLink(decodeURIComponent(params.link)).then(go, (e: unknown) => {
        const err = e instanceof HttpError ? e : new HttpError('internal', '登录失败，请稍后重试');
        // Reopening the SMS on the device that already used it simply continues.
        const saved = savedToken();
        if (err.code === 'linkUsed' && saved) return go(saved);
        setProblem({ title: TITLES[err.code] ?? '无法进入问诊', text: err.message });
      });
      return;
    }
    const token = params.token ? decodeURIComponent(params.token) : savedToken();
    if (token) go(token);
    else setProblem({ title: '请从短信链接进入', text: '请通过医院发送的短信链接进入问诊' });
  }, [params.link, params.token, params.session]);

  return (
    <View className='entry'>
      {problem ? (
        <View className='entry-problem'>
          <Text className='entry-title'>{problem.title}</Text>
          <Text className='entry-hint'>{problem.text}</Text>
        </View>
      ) : (
        <Text className='entry-hint'>正在进入问诊…</Text>
      )}
    </View>
  );
}
