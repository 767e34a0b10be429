import { Text, View } from '@tarojs/components';
import { EMOJI } from '../../render/emoji';

/** Inserts `[名称]` placeholders, which every platform renders as the same emoji. */
export function EmojiPanel({ onPick }: { onPick: (placeholder: string) => void }) {
  return (
    <View className='emoji-panel'>
      {EMOJI.map(([name, char]) => (
        <Text key={name} className='emoji-item' aria-label={name} onClick={() => onPick(`[${name}]`)}>
          {char}
        </Text>
      ))}
    </View>
  );
}
