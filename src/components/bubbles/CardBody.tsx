import { Text, View } from '@tarojs/components';
import { useMemo } from 'react';
import { cardView } from '../../render/cards';
import { CardRows } from './CardRows';
import { isIntakeCard, isRxCard } from '../../render/encounter';
import { IntakeBody } from './IntakeBody';
import { RxBody } from './RxBody';

/** The intake, a signed prescription, or a lab request, follow-up or summary; unknown cards show a safe notice. */
export function CardBody({ attach }: { attach: unknown }) {
  if (isIntakeCard(attach)) return <IntakeBody card={attach} />;
  if (isRxCard(attach)) return <RxBody card={attach} />;
  return <PlainCard attach={attach} />;
}

function PlainCard({ attach }: { attach: unknown }) {
  const card = useMemo(() => cardView(attach), [attach]);
  return (
    <View className={`msg-card msg-card-${card.kind}`}>
      <Text className='msg-card-title'>{card.title}</Text>
      <CardRows rows={card.rows} />
      {card.footer && <Text className='msg-card-footer'>{card.footer}</Text>}
    </View>
  );
}

