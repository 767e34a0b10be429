import { Text, View } from '@tarojs/components';
import { useMemo } from 'react';
import type { IntakeCard } from '../../../types/encounter';
import { intakeView } from '../../render/encounter';

/** The intake form (问诊单), the first card of a consultation; allergies in red. */
export function IntakeBody({ card }: { card: IntakeCard }) {
  const view = useMemo(() => intakeView(card), [card]);
  return (
    <View className='msg-card msg-card-intake'>
      <Text className='msg-card-title'>{view.title}</Text>
      {view.rows.map((row) => (
        <View key={row.label} className='msg-card-row'>
          <Text className='msg-card-label'>{row.label}</Text>
          <Text className='msg-card-value' userSelect>
            {row.value}
          </Text>
        </View>
      ))}
      <View className='msg-card-row'>
        <Text className='msg-card-label'>过敏</Text>
        <Text className={view.allergies ? 'msg-card-value intake-allergies' : 'msg-card-value'}>{view.allergies ?? '无已知过敏'}</Text>
      </View>
      <Text className='msg-card-footer'>{view.footer}</Text>
    </View>
  );
}
