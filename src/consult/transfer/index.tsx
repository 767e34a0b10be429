import { Button, Input, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import type { TransferTarget } from '../../../types/transfer';
import { DOCTORS_LIMITS } from '../../../types/transfer';
import { chat } from '../../chat';
import { backToChat, sessionParam, toastError } from '../../components/encounter/useEncounter';
import { PageHeader } from '../../components/PageHeader';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { useChat } from '../../store';
import '../../components/encounter/encounter.css';

/** What the list shows of a doctor beside the name: 职称 · 科室 from their verified identity. */
const doctorLine = (d: TransferTarget): string => [d.title, d.department].filter(Boolean).join(' · ');

/**
 * 转诊: the consultation's doctor hands it to another doctor of the hospital, picked from the list of
 * its doctors (filtered by name). The new doctor sees the whole history, the patient a notice; this
 * doctor keeps reading what was there before and writes no more.
 */
export default function TransferPage() {
  useChatSession();
  const look = usePageStyle();
  const sessionId = sessionParam(useRouter().params);
  const session = useChat((s) => s.sessions.get(sessionId));
  const [filter, setFilter] = useState('');
  const [doctors, setDoctors] = useState<TransferTarget[]>();
  const [to, setTo] = useState<TransferTarget>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    // Asked once typing pauses: every request counts against the doctor's rate limit.
    const timer = setTimeout(() => {
      chat()
        .encounter('doctors', { filter: filter.trim() })
        .then((r) => live && setDoctors(r.doctors))
        .catch(toastError);
    }, filter ? 300 : 0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [filter]);

  const submit = async () => {
    if (!to) return;
    const { confirm } = await Taro.showModal({ title: '转诊', content: `确认将${session?.name ?? '本次问诊'}转给${to.name}？转诊后您只能查看此前的记录。` });
    if (!confirm) return;
    setBusy(true);
    chat()
      .encounter('transfer', { sessionId, to: to.account })
      .then(() => Taro.reLaunch({ url: '/consult/sessions/index' }))
      .catch(toastError)
      .finally(() => setBusy(false));
  };

  return (
    <View className={`form transfer ${look.className}`} style={look.style}>
      <PageHeader back='返回问诊' onBack={() => backToChat(sessionId)} />
      <Text className='form-title'>转诊给本院其他医生</Text>
      <Text className='form-hint'>接诊医生可查看全部问诊记录；患者会收到转诊通知；您仍可查看转诊前的记录。</Text>
      <Input className='form-input transfer-filter' value={filter} maxlength={DOCTORS_LIMITS.filter} placeholder='搜索医生姓名或科室' onInput={(e) => setFilter(e.detail.value)} />
      <View className='transfer-list'>
        {doctors?.length === 0 && <Text className='form-hint transfer-empty'>没有找到医生</Text>}
        {doctors?.map((d) => (
          <View key={d.account} className={`identity-option transfer-doctor ${d.account === to?.account ? 'on' : ''}`} onClick={() => setTo(d)}>
            <Text className='transfer-doctor-name'>{d.name}</Text>
            {doctorLine(d) && <Text className='identity-id transfer-doctor-line'>{doctorLine(d)}</Text>}
          </View>
        ))}
      </View>
      <Button className='form-button transfer-submit' disabled={busy || !to} onClick={() => void submit()}>
        {to ? `转诊给${to.name}` : '请选择医生'}
      </Button>
    </View>
  );
}
