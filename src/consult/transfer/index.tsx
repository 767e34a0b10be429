import { Button, Input, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { chat } from '../../chat';
import { sessionParam, toastError } from '../../components/encounter/useEncounter';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { useChat } from '../../store';
import '../../components/encounter/encounter.css';

/**
 * 转诊: the consultation's doctor hands it to another doctor of the hospital, named by their account
 * (工号). The new doctor sees the whole history, the patient a notice; this doctor keeps reading what
 * was there before and writes no more.
 */
export default function TransferPage() {
  useChatSession();
  const look = usePageStyle();
  const sessionId = sessionParam(useRouter().params);
  const session = useChat((s) => s.sessions.get(sessionId));
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const { confirm } = await Taro.showModal({ title: '转诊', content: `确认将${session?.name ?? '本次问诊'}转给医生 ${to.trim()}？转诊后您只能查看此前的记录。` });
    if (!confirm) return;
    setBusy(true);
    chat()
      .encounter('transfer', { sessionId, to: to.trim() })
      .then(() => Taro.reLaunch({ url: '/consult/sessions/index' }))
      .catch(toastError)
      .finally(() => setBusy(false));
  };

  return (
    <View className={`form transfer ${look.className}`} style={look.style}>
      <Text className='form-title'>转诊给本院其他医生</Text>
      <Text className='form-hint'>接诊医生可查看全部问诊记录；患者会收到转诊通知；您仍可查看转诊前的记录。</Text>
      <View className='form-section'>
        <Text className='form-label'>医生工号</Text>
        <Input className='form-input transfer-to' value={to} placeholder='如：doctor-wang' onInput={(e) => setTo(e.detail.value)} />
      </View>
      <Button className='form-button transfer-submit' disabled={busy || !to.trim()} onClick={() => void submit()}>
        确认转诊
      </Button>
    </View>
  );
}
