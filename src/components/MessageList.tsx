import { ScrollView, Text, View } from '@tarojs/components';
import type { TimelineItem } from '../render/timeline';
import { MessageBubble } from './MessageBubble';

interface Props {
  items: TimelineItem[];
  showNick?: boolean;
  onResend: (idClient: string) => void;
  onReachTop?: () => void;
}

/** The chat timeline; it follows the newest item, so new messages scroll into view. */
export function MessageList({ items, showNick, onResend, onReachTop }: Props) {
  const last = items[items.length - 1];
  return (
    <ScrollView
      className='msg-list'
      scrollY
      scrollIntoView={last ? (last.kind === 'msg' ? `m-${last.key}` : undefined) : undefined}
      upperThreshold={40}
      onScrollToUpper={onReachTop}
    >
      {items.map((item) =>
        item.kind === 'time' ? (
          <View key={item.key} className='time-header'>
            <Text>{item.label}</Text>
          </View>
        ) : (
          <MessageBubble
            key={item.key}
            msg={item.msg}
            mine={item.mine}
            read={item.read}
            showNick={showNick}
            onResend={onResend}
          />
        ),
      )}
      <View className='msg-list-end' />
    </ScrollView>
  );
}
