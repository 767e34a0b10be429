import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { savedToken, saveToken } from '../../chat';
import './index.css';

/**
 * The SMS link lands here with `?token=…` (and optionally `&session=…`): keep the token, then go to
 * the chat the link names, or to the sessions list. One navigation only: chaining reLaunch and
 * navigateTo races in Taro's H5 router and can leave every page hidden.
 */
export default function Entry() {
  const { params } = useRouter();
  const [missing, setMissing] = useState(false);

  useEffect(() => {
    const token = params.token ? decodeURIComponent(params.token) : savedToken();
    if (!token) {
      setMissing(true);
      return;
    }
    saveToken(token);
    const session = params.session ? decodeURIComponent(params.session) : undefined;
    void Taro.reLaunch({
      url: session ? `/pages/chat/index?id=${encodeURIComponent(session)}` : '/pages/sessions/index',
    });
  }, [params.token, params.session]);

  return (
    <View className='entry'>
      {missing ? (
        <Text className='entry-hint'>请通过医院发送的短信链接进入问诊</Text>
      ) : (
        <Text className='entry-hint'>正在进入问诊…</Text>
      )}
    </View>
  );
}
