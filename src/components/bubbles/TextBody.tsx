import { Text } from '@tarojs/components';
import { useMemo } from 'react';
import { parseEmoji } from '../../render/emoji';

/** Text with emoji: each node is rendered as text, so message content never becomes markup. */
export function TextBody({ body }: { body: string }) {
  const nodes = useMemo(() => parseEmoji(body), [body]);
  return (
    <Text className='msg-text' userSelect>
      {nodes.map((n, i) =>
        n.type === 'text' ? (
          n.text
        ) : (
          <Text key={i} className='msg-emoji' aria-label={n.name}>
            {n.char}
          </Text>
        ),
      )}
    </Text>
  );
}
