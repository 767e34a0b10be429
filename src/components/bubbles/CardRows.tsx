import { Text, View } from '@tarojs/components';
import type { CardRow } from '../../render/cards';

/** A card's labelled rows, selectable (a patient copies a diagnosis or an instruction). */
export function CardRows({ rows }: { rows: readonly CardRow[] }) {
  return (
    <>
      {rows.map((row, i) => (
        <View key={i} className='msg-card-row'>
          {row.label && <Text className='msg-card-label'>{row.label}</Text>}
          <Text className='msg-card-value' userSelect>
            {row.value}
          </Text>
        </View>
      ))}
    </>
  );
}
