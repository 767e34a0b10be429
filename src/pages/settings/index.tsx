import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { savedToken } from '../../chat/token';
import { HttpError } from '../../platform/http-error';
import { privacy } from '../../platform/privacy';
import { IS_MINI_PROGRAM, signInDeps } from '../../session';
import { unbind } from '../../session/miniapp';
import './index.css';

/**
 * 设置: the privacy guide, the platform's permission settings, and 解除绑定 – after which this
 * WeChat/Alipay/Douyin account no longer opens the patient's consultations (the session ends; binding
 * again needs a new link from the hospital).
 */
export default function Settings() {
  const [busy, setBusy] = useState(false);

  const doUnbind = async () => {
    const { confirm } = await Taro.showModal({
      title: '解除绑定',
      content: '解除后，本账号将不再自动进入您的问诊。再次使用需要医院发送的新短信链接。确定解除吗？',
      confirmText: '解除绑定',
      confirmColor: '#dc2626',
    });
    const token = savedToken();
    if (!confirm || !token) return;
    setBusy(true);
    try {
      await unbind(signInDeps(), token);
      await Taro.showToast({ title: '已解除绑定', icon: 'success' });
      void Taro.reLaunch({ url: '/pages/entry/index' });
    } catch (e) {
      void Taro.showToast({ title: e instanceof HttpError ? e.message : '解除绑定失败，请稍后重试', icon: 'none' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <View className='settings'>
      <View className='settings-item settings-privacy' onClick={() => privacy.openContract()}>
        <Text>隐私保护指引</Text>
        <Text>›</Text>
      </View>
      {IS_MINI_PROGRAM && (
        <View className='settings-item settings-permissions' onClick={() => void Taro.openSetting({})}>
          <Text>相机、相册、麦克风、位置权限</Text>
          <Text>›</Text>
        </View>
      )}
      {IS_MINI_PROGRAM && (
        <View className='settings-item settings-unbind' onClick={() => !busy && void doUnbind()}>
          <Text>{busy ? '正在解除…' : '解除绑定'}</Text>
        </View>
      )}
      {IS_MINI_PROGRAM && <Text className='settings-note'>解除绑定后，本账号不再与您的就诊信息关联。</Text>}
    </View>
  );
}
