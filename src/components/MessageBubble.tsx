import { Text, View } from '@tarojs/components';
import type { Message } from '../../types/message';

interface Props {
  msg: Message;
  mine: boolean;
  read: boolean;
  /** Names above others' bubbles help only in groups; a consultation has one counterpart. */
  showNick?: boolean;
  onResend?: (idClient: string) => void;
}

function StatusLine({ msg, read, onResend }: Pick<Props, 'msg' | 'read' | 'onResend'>) {
  if (msg.status === 'sending') return <Text className='msg-status msg-sending'>发送中</Text>;
  if (msg.status === 'sendFailed') {
    return (
      <Text className='msg-status msg-failed' onClick={() => onResend?.(msg.idClient)}>
        {`${msg.error ?? '发送失败'}，点击重发`}
      </Text>
    );
  }
  return <Text className='msg-status'>{read ? '已读' : '未读'}</Text>;
}

/** One message: ours on the right with its delivery state, theirs on the left with the sender. */
export function MessageBubble({ msg, mine, read, showNick, onResend }: Props) {
  const initial = (msg.fromNick ?? msg.from).slice(0, 1);
  return (
    <View className={`msg-row ${mine ? 'mine' : 'theirs'}`} id={`m-${msg.idClient}`}>
      {!mine && (
        <View className='msg-avatar'>
          <Text>{initial}</Text>
        </View>
      )}
      <View className='msg-col'>
        {!mine && showNick && <Text className='msg-nick'>{msg.fromNick ?? msg.from}</Text>}
        <View className='msg-bubble'>
          <Text className='msg-text' userSelect>
            {msg.body}
          </Text>
        </View>
        {mine && <StatusLine msg={msg} read={read} onResend={onResend} />}
      </View>
    </View>
  );
}
