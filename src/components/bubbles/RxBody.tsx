import { Button, Text, View } from '@tarojs/components';
import { useContext, useMemo } from 'react';
import type { RxCard } from '../../../types/prescription';
import { CardRows } from './CardRows';
import { rxView } from '../../render/encounter';
import { EncounterCardsContext } from '../encounter/context';

/**
 * A signed prescription with its review state (待审核 / 已通过 / 未通过 and the pharmacist's reason);
 * 续方 for the patient on a valid one, 修改处方 for the doctor on a rejected one not yet corrected.
 */
export function RxBody({ card }: { card: RxCard }) {
  const cards = useContext(EncounterCardsContext);
  const review = cards.rxStates.get(card.rx.id);
  const view = useMemo(() => rxView(card, review), [card, review]);
  return (
    <View className={`msg-card msg-card-rx rx-${view.state}`}>
      <View className='rx-head'>
        <Text className='msg-card-title'>{view.title}</Text>
        <Text className={`rx-state rx-state-${view.state}`}>{view.stateLabel}</Text>
      </View>
      <CardRows rows={view.rows} />
      {view.reason && <Text className='rx-reason'>{`未通过原因：${view.reason}`}</Text>}
      <Text className='msg-card-footer'>{view.footer}</Text>
      {cards.role === 'patient' && view.state === 'approved' && cards.onRenew && (
        <Button className='rx-renew' size='mini' onClick={() => cards.onRenew?.(view.id)}>
          续方
        </Button>
      )}
      {cards.role === 'doctor' && view.state === 'rejected' && !cards.corrected.has(view.id) && cards.onCorrect && (
        <Button className='rx-correct' size='mini' onClick={() => cards.onCorrect?.(view.id)}>
          修改处方
        </Button>
      )}
    </View>
  );
}
