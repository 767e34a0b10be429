import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useCallback, useEffect, useMemo } from 'react';
import { patientName, queueTab, startOfDay } from '../../../types/encounter';
import type { Message, SessionSummary } from '../../../types/message';
import { ConnectionBanner } from '../../components/ConnectionBanner';
import { DoctorQueue } from '../../components/encounter/DoctorQueue';
import { SessionPreview } from '../../components/SessionPreview';
import { SearchBar, SearchHits } from '../../components/SearchPanel';
import { useSearch } from '../../components/useSearch';
import { openChat } from '../../components/chatPage';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { STATUS_TEXT } from '../../render/consultation';
import { sessionTimeLabel } from '../../render/time';
import { useChat } from '../../store';
// The encounter's parts in this page (cards, panel, gate, 常用语, the queue) are styled there.
import '../../components/encounter/encounter.css';
import './index.css';

const lastTime = (s: SessionSummary) => s.lastMsg?.time ?? 0;

/** A session's row: who (`name`: a patient sees the doctor, a doctor the patient), its consultation's status, when, the last message or draft, unread. */
function SessionRow({ s, name, now, me, draft }: { s: SessionSummary; name: string; now: number; me?: string; draft?: string }) {
  return (
    <View className='session-item' onClick={() => openChat(s.id)}>
      <View className='session-avatar'>
        <Text>{name.slice(0, 1)}</Text>
      </View>
      <View className='session-main'>
        <View className='session-line'>
          <Text className='session-name'>{name}</Text>
          {s.consultation && <Text className={`session-status status-${s.consultation.status}`}>{STATUS_TEXT[s.consultation.status]}</Text>}
          <Text className='session-time'>{s.lastMsg ? sessionTimeLabel(s.lastMsg.time, now) : ''}</Text>
        </View>
        <View className='session-line'>
          <SessionPreview session={s} draft={draft} me={me} />
          {s.unread > 0 && <Text className='session-unread'>{s.unread > 99 ? '99+' : s.unread}</Text>}
        </View>
      </View>
    </View>
  );
}

export default function Sessions() {
  useChatSession();
  const sessions = useChat((s) => s.sessions);
  const me = useChat((s) => s.me);
  const drafts = useChat((s) => s.drafts);
  const doctor = me?.role === 'doctor';
  // A doctor's search: consultations by patient name here, messages of all of them on the server.
  const messages = useChat((s) => s.messages);
  const held = useCallback(() => (doctor ? [...messages.values()].flatMap((m) => m.order.toArray()) : []), [doctor, messages]);
  const search = useSearch(undefined, held);
  const list = useMemo(() => [...sessions.values()].sort((a, b) => lastTime(b) - lastTime(a)), [sessions]);
  const now = Date.now();
  const look = usePageStyle();
  // Found by their patient's name on the server and not on the workbench (closed before today).
  const earlier = useMemo(() => {
    if (!search.query) return [];
    const today = startOfDay(now);
    return search.sessions.map((s) => sessions.get(s.id) ?? s).filter((s) => queueTab(s, today) === undefined);
  }, [search.query, search.sessions, sessions, now]);

  const openHit = (m: Message) =>
    void Taro.navigateTo({
      url: `/consult/chat/index?id=${encodeURIComponent(m.sessionId)}&jump=${encodeURIComponent(m.idClient)}&seq=${m.seq ?? 0}`,
    });
  const sessionName = (m: Message) => sessions.get(m.sessionId)?.name ?? m.sessionId;
  // A pharmacist has no conversations: their page is the review of prescriptions.
  useEffect(() => {
    if (me?.role === 'pharmacist') void Taro.redirectTo({ url: '/consult/review/index' });
  }, [me?.role]);

  return (
    <View className={`sessions ${look.className}`} style={look.style}>
      <ConnectionBanner />
      {me && (
        <View className='sessions-me'>
          <Text>{`${me.name}，您好`}</Text>
          {/* 大字, 在线状态 (doctors), 解除绑定 and the privacy guide live there (H5 has no platform binding). */}
          <Text className='sessions-settings' onClick={() => void Taro.navigateTo({ url: '/pages/settings/index' })}>
            设置
          </Text>
        </View>
      )}
      {doctor && <SearchBar search={search} placeholder='搜索患者姓名或聊天内容' />}
      {doctor && search.query && (
        <View className='sessions-hits'>
          <SearchHits search={search} onPick={openHit} title={sessionName} />
        </View>
      )}
      {me?.role === 'patient' && list.length === 0 && <Text className='sessions-empty'>暂无问诊</Text>}
      {me?.role === 'doctor' && <DoctorQueue sessions={list} me={me.account} now={now} open={openChat} filter={search.text} drafts={drafts} />}
      {doctor && earlier.length > 0 && (
        <View className='sessions-earlier'>
          <Text className='sessions-earlier-title'>更早的问诊</Text>
          {earlier.map((s) => (
            <SessionRow key={s.id} s={s} name={patientName(s)} now={now} me={me?.account} draft={drafts[s.id]} />
          ))}
        </View>
      )}
      {me?.role === 'patient' && list.map((s) => <SessionRow key={s.id} s={s} name={s.name} now={now} me={me?.account} draft={drafts[s.id]} />)}
    </View>
  );
}
