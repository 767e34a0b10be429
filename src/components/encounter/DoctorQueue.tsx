import { Button, Text, View } from '@tarojs/components';
import { useMemo, useState } from 'react';
import type { SessionSummary } from '../../../types/message';
import { chat } from '../../chat';
import type { QueueTab } from '../../../types/encounter';
import { patientName } from '../../../types/encounter';
import { doctorQueue, QUEUE_TABS, subjectLine, waitingLabel } from '../../render/encounter';
import { sessionTimeLabel } from '../../render/time';
import { SessionPreview } from '../SessionPreview';

interface Props {
  sessions: Iterable<SessionSummary>;
  me: string;
  now: number;
  open: (sessionId: string) => void;
  /** The patient's name searched for in the page's search box. */
  filter: string;
  /** Unsent text per session: shown as 【草稿】 in place of the last message. */
  drafts: Readonly<Record<string, string>>;
}

/**
 * The doctor's workbench: 待接诊 (oldest first, with the waiting time, 接诊 right here), 进行中 (unread
 * first), 今日已结束; narrowed to the patients whose name has `filter`.
 */
export function DoctorQueue({ sessions, me, now, open, filter, drafts }: Props) {
  const [chosen, setTab] = useState<QueueTab>();
  const queue = useMemo(() => doctorQueue(sessions, now, filter), [sessions, now, filter]);
  // Until a tab is tapped: who is waiting, else what is in progress.
  const tab = chosen ?? (queue.waiting.length || !queue.inProgress.length ? 'waiting' : 'inProgress');
  const accept = (id: string) =>
    void chat()
      .changeConsultation(id, 'accept')
      .then((error) => (error ? undefined : open(id)));

  return (
    <View className='queue'>
      <View className='queue-tabs'>
        {QUEUE_TABS.map((t) => (
          <Text key={t.tab} className={`queue-tab queue-tab-${t.tab} ${tab === t.tab ? 'on' : ''}`} onClick={() => setTab(t.tab)}>
            {`${t.label} ${queue[t.tab].length}`}
          </Text>
        ))}
      </View>
      {!queue[tab].length && <Text className='sessions-empty'>{filter.trim() ? '没有匹配的患者' : '暂无'}</Text>}
      {queue[tab].map((s) => {
        const c = s.consultation;
        return (
          <View key={s.id} className={`session-item queue-item queue-${tab}`} onClick={() => open(s.id)}>
            <View className='session-avatar'>
              <Text>{patientName(s).slice(0, 1)}</Text>
            </View>
            <View className='session-main'>
              <View className='session-line'>
                <Text className='session-name'>{s.name}</Text>
                {subjectLine(s) && <Text className='queue-subject'>{subjectLine(s)}</Text>}
                {c?.intake?.allergies && <Text className='queue-allergy'>过敏</Text>}
                <Text className='session-time'>
                  {tab === 'waiting' ? waitingLabel(c?.createdAt ?? s.lastMsg?.time ?? now, now) : s.lastMsg ? sessionTimeLabel(s.lastMsg.time, now) : ''}
                </Text>
              </View>
              <View className='session-line'>
                <SessionPreview session={s} draft={drafts[s.id]} me={me} />
                {s.unread > 0 && <Text className='session-unread'>{s.unread > 99 ? '99+' : s.unread}</Text>}
                {tab === 'waiting' && (
                  <Button
                    className='queue-accept'
                    size='mini'
                    onClick={(e) => {
                      e.stopPropagation();
                      accept(s.id);
                    }}
                  >
                    接诊
                  </Button>
                )}
              </View>
            </View>
          </View>
        );
      })}
    </View>
  );
}
