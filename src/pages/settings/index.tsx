import { Switch, Text, View } from '@tarojs/components';
import Taro, { useDidShow } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import type { NotifySettings } from '../../../types/protocol';
import { chat } from '../../chat';
import { askConsent, loadReminders, remindersOn, setRemindersEnabled, templatesOf } from '../../chat/reminders';
import { forgetToken, savedToken } from '../../chat/token';
import { usePageStyle } from '../../components/usePageStyle';
import { saveTextSize } from '../../platform/appearance';
import { HttpError } from '../../platform/http-error';
import { privacy } from '../../platform/privacy';
import { IS_MINI_PROGRAM, signInDeps } from '../../session';
import { tokenAccount, unbind } from '../../session/miniapp';
import { useChatSession } from '../../components/useChatSession';
import { useChat } from '../../store';
import './index.css';

/** What leaving costs on this device: the person's own unsent text goes with the account. */
const unbindWarning = (unsent: number) =>
  `解除后，本账号将不再自动进入您的问诊，本机上的草稿${unsent ? `和 ${unsent} 条未发出的消息` : ''}也将删除。再次使用需要医院发送的新短信链接。确定解除吗？`;

/**
 * 设置: 大字 (larger text and tap targets on every page, on top of the platform's font size), 消息提醒 (whether reminders reach this person after they left the chat, a switch, and 开启提醒
 * to give the platform's consent again), the privacy guide, the platform's permission settings, and 解除绑定 – after which this
 * WeChat/Alipay/Douyin account no longer opens the patient's consultations (the session ends; binding
 * again needs a new link from the hospital).
 */
export default function Settings() {
  useChatSession();
  const [busy, setBusy] = useState(false);
  const [reminders, setReminders] = useState<NotifySettings>();
  const doctor = useChat((s) => s.me?.role === 'doctor');
  const synced = useChat((s) => s.connection === 'synced');
  const [presence, setPresence] = useState<boolean>();
  // A doctor's 在线状态: whether their patients see 医生在线 / 最近在线.
  useEffect(() => {
    if (doctor && synced) chat().presenceVisible().then(setPresence).catch(() => undefined);
  }, [doctor, synced]);
  const togglePresence = (visible: boolean) =>
    void chat()
      .presenceVisible(visible)
      .then(setPresence)
      .catch((e: unknown) => {
        setPresence(!visible);
        void Taro.showToast({ title: e instanceof Error ? e.message : '设置失败，请稍后重试', icon: 'none' });
      });
  const look = usePageStyle();

  const failed = (e: unknown) => void Taro.showToast({ title: e instanceof HttpError ? e.message : '设置失败，请稍后重试', icon: 'none' });
  useDidShow(() => {
    if (savedToken()) loadReminders().then(setReminders).catch(() => undefined);
  });
  const toggle = (enabled: boolean) => void setRemindersEnabled(enabled).then(setReminders).catch(failed);
  // The consent prompt starts in the tap itself; switched off, reminders are switched on with it.
  const turnOn = (s: NotifySettings) => {
    const asked = askConsent(templatesOf(s));
    void asked
      .then(() => (s.enabled ? loadReminders() : setRemindersEnabled(true)))
      .then(setReminders)
      .catch(failed);
  };

  const doUnbind = async () => {
    const { confirm } = await Taro.showModal({
      title: '解除绑定',
      content: unbindWarning(chat().unsent()),
      confirmText: '解除绑定',
      confirmColor: '#dc2626',
    });
    const token = savedToken();
    if (!confirm || !token) return;
    setBusy(true);
    try {
      await unbind(signInDeps(), token);
      forgetToken();
      const account = tokenAccount(token);
      if (account !== undefined) await chat().signOut(account);
      await Taro.showToast({ title: '已解除绑定', icon: 'success' });
      void Taro.reLaunch({ url: '/pages/entry/index' });
    } catch (e) {
      void Taro.showToast({ title: e instanceof HttpError ? e.message : '解除绑定失败，请稍后重试', icon: 'none' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <View className={`settings ${look.className}`} style={look.style}>
      <View className='settings-item settings-large-text'>
        <Text>大字模式</Text>
        <Switch
          className='settings-large-text-switch'
          checked={look.large}
          onChange={(e) => saveTextSize(e.detail.value ? 'large' : 'standard')}
        />
      </View>
      {reminders && (
        <View className='settings-item settings-reminders'>
          <Text>消息提醒 {remindersOn(reminders) ? '已开启' : '已关闭'}</Text>
          <Switch className='settings-reminders-switch' checked={reminders.enabled} onChange={(e) => toggle(e.detail.value)} />
        </View>
      )}
      {reminders && !remindersOn(reminders) && (templatesOf(reminders).length > 0 || reminders.sms) && (
        <View className='settings-item settings-reminders-on' onClick={() => turnOn(reminders)}>
          <Text>开启提醒</Text>
          <Text>›</Text>
        </View>
      )}
      {reminders && <Text className='settings-note'>离开聊天后，医生回复时通过微信、支付宝、抖音的服务通知或短信提醒您。</Text>}
      {presence !== undefined && (
        <View className='settings-item settings-presence'>
          <Text>向患者显示在线状态</Text>
          <Switch className='settings-presence-switch' checked={presence} onChange={(e) => togglePresence(e.detail.value)} />
        </View>
      )}
      {presence !== undefined && <Text className='settings-note'>关闭后，患者看不到您是否在线及最近在线时间。</Text>}
      {privacy.hasContract && (
        <View className='settings-item settings-privacy' onClick={() => privacy.openContract()}>
          <Text>隐私保护指引</Text>
          <Text>›</Text>
        </View>
      )}
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
