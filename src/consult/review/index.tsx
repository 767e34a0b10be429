import { Button, Input, Text, View } from '@tarojs/components';
import Taro, { useDidShow } from '@tarojs/taro';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PharmacistItem } from '../../../types/protocol';
import type { PrescriptionState } from '../../../types/prescription';
import { chat } from '../../chat';
import { RxBody } from '../../components/bubbles/RxBody';
import { EncounterCardsContext } from '../../components/encounter/context';
import { toastError } from '../../components/encounter/useEncounter';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { reviewRows } from '../../render/encounter';
import { useChat } from '../../store';
import '../../components/encounter/encounter.css';
import '../chat/index.css';

const PAGE = 50;

/**
 * 处方审核, the pharmacist's page: the prescriptions waiting for review, oldest first, each as its
 * card; approve, or reject with the reason the doctor will see. The pharmacist sees no chat.
 */
export default function ReviewPage() {
  useChatSession();
  const look = usePageStyle();
  const connected = useChat((s) => s.connection === 'synced');
  const me = useChat((s) => s.me);
  const [items, setItems] = useState<PharmacistItem[]>([]);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string>();

  // Pushes can start reads faster than they are answered: only the newest read's answer is shown.
  const reads = useRef(0);
  const load = useCallback(() => {
    const n = ++reads.current;
    chat()
      .encounter('prescriptions', { state: 'pending', limit: PAGE })
      .then((r) => {
        if (n === reads.current) setItems(r.items);
      })
      .catch(toastError);
  }, []);
  useEffect(() => {
    if (connected) load();
  }, [connected, load]);
  useDidShow(() => {
    if (connected) load();
  });
  // Issued, corrected or reviewed elsewhere (another pharmacist): the list follows without a reload.
  useEffect(() => (connected ? chat().onPrescription(load) : undefined), [connected, load]);

  const review = (id: string, decision: 'approve' | 'reject') => {
    const reason = reasons[id]?.trim();
    if (decision === 'reject' && !reason) return void Taro.showToast({ title: '请填写不通过的原因', icon: 'none' });
    setBusy(id);
    chat()
      .encounter('review', { prescriptionId: id, decision, ...(decision === 'reject' ? { reason } : {}) })
      .then(() => {
        setItems((old) => old.filter((i) => i.prescription.rx.id !== id));
        void Taro.showToast({ title: decision === 'approve' ? '已通过' : '已驳回', icon: 'success' });
      })
      .catch(toastError)
      .finally(() => setBusy(undefined));
  };

  const states = new Map<string, { state: PrescriptionState; reason?: string }>(
    items.map((i) => [i.prescription.rx.id, { state: i.prescription.state, ...(i.prescription.reason ? { reason: i.prescription.reason } : {}) }]),
  );

  return (
    <View className={`form review ${look.className}`} style={look.style}>
      <Text className='form-title'>{me ? `${me.name}，待审核处方 ${items.length} 张` : '待审核处方'}</Text>
      {connected && !items.length && <Text className='form-hint review-empty'>暂无待审核的处方</Text>}
      <EncounterCardsContext.Provider value={{ role: 'pharmacist', rxStates: states, corrected: new Set() }}>
        {items.map((item) => {
          const p = item.prescription;
          const about = reviewRows(item);
          return (
            <View key={p.rx.id} className='form-section review-item'>
              {about.rows.map((row) => (
                <View key={row.label} className='msg-card-row review-about'>
                  <Text className='msg-card-label'>{row.label}</Text>
                  <Text className='msg-card-value'>{row.value}</Text>
                </View>
              ))}
              {item.intake && (
                <View className='msg-card-row review-about'>
                  <Text className='msg-card-label'>过敏</Text>
                  <Text className={about.allergies ? 'msg-card-value intake-allergies' : 'msg-card-value'}>{about.allergies ?? '无已知过敏'}</Text>
                </View>
              )}
              <RxBody card={p} />
              <Input
                className='form-input review-reason'
                value={reasons[p.rx.id] ?? ''}
                placeholder='不通过的原因（驳回时必填）'
                onInput={(e) => setReasons((old) => ({ ...old, [p.rx.id]: e.detail.value }))}
              />
              <View className='form-tags'>
                <Button className='form-button review-approve' size='mini' disabled={busy === p.rx.id} onClick={() => review(p.rx.id, 'approve')}>
                  通过
                </Button>
                <Button
                  className='form-button form-button-secondary review-reject'
                  size='mini'
                  disabled={busy === p.rx.id}
                  onClick={() => review(p.rx.id, 'reject')}
                >
                  驳回
                </Button>
              </View>
            </View>
          );
        })}
      </EncounterCardsContext.Provider>
    </View>
  );
}
