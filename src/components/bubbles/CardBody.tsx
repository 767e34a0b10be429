import { Text, View } from '@tarojs/components';
import { useMemo } from 'react';
import { cardView } from '../../render/cards';

/** A prescription, lab request, follow-up or summary; unknown cards show a safe notice. */
export function CardBody({ attach }: { attach: unknown }) {
  const card = useMemo(() => cardView(attach), [attach]);
  return (
    <View className={`msg-card msg-card-${card.kind}`}>
      <Text className='msg-card-title'>{card.title}</Text>
      {card.rows.map((row, i) => (
        <View key={i} className='msg-card-row'>
          {row.label && <Text className='msg-card-label'>{row.label}</Text>}
          <Text className='msg-card-value' userSelect>
            {row.value}
          </Text>
        </View>
      ))}
      {card.footer && <Text className='msg-card-footer'>{card.footer}</Text>}
    </View>
  );
}
