import { ScrollView, Text, View } from '@tarojs/components';
import type { Message } from '../../types/message';
import type { TimelineItem } from '../render/timeline';
import { itemDomId } from '../render/timeline';
import { MessageBubble } from './MessageBubble';

interface Props {
  items: TimelineItem[];
  showNick?: boolean;
  onResend: (idClient: string) => void;
  onReachTop?: () => void;
  onLongPress?: (msg: Message) => void;
  /** Puts the text of one's own recalled message back into the input. */
  onReedit?: (text: string) => void;
}

/** The chat timeline; it follows the newest item, so new messages scroll into view. */
export function MessageList({ items, showNick, onResend, onReachTop, onLongPress, onReedit }: Props) {
  const last = items[items.length - 1];
  return (
    <ScrollView
      className='msg-list'
      scrollY
      scrollIntoView={last && last.kind !== 'time' ? itemDomId(last.key) : undefined}
      upperThreshold={40}
      onScrollToUpper={onReachTop}
    >
      {items.map((item) =>
        item.kind === 'time' ? (
          <View key={item.key} className='time-header'>
            <Text>{item.label}</Text>
          </View>
        ) : item.kind === 'tip' ? (
          <View key={item.key} className='msg-tip' id={itemDomId(item.key)}>
            <Text>{item.text}</Text>
            {item.reedit !== undefined && (
              <Text className='msg-reedit' onClick={() => onReedit?.(item.reedit as string)}>
                重新编辑
              </Text>
            )}
          </View>
        ) : (
          <MessageBubble
            key={item.key}
            msg={item.msg}
            mine={item.mine}
            read={item.read}
            receipt={item.receipt}
            showNick={showNick}
            onResend={onResend}
            onLongPress={onLongPress}
          />
        ),
      )}
      <View className='msg-list-end' />
    </ScrollView>
  );
}
