import { Text, View } from '@tarojs/components';
import type { AudioAttach, FileAttach, GeoAttach, ImageAttach, VideoAttach } from '../../types/media';
import type { Message } from '../../types/message';
import type { QuoteView } from '../render/timeline';
import { itemDomId } from '../render/timeline';
import { CardBody, FileBody, GeoBody, ImageBody, TextBody, VideoBody, VoiceBody } from './bubbles';

interface Props {
  msg: Message;
  mine: boolean;
  read: boolean;
  /** "已读", "已送达", "未读", "2人已读"… */
  receipt: string;
  /** The message this one replies to, above the bubble; tapping it jumps there. */
  quote?: QuoteView;
  /** The message last jumped to (from a quote or a search hit): highlighted so the eye finds it. */
  flash?: boolean;
  onQuoteTap?: (quote: QuoteView) => void;
  /** Names above others' bubbles help only in groups; a consultation has one counterpart. */
  showNick?: boolean;
  onResend?: (idClient: string) => void;
  onLongPress?: (msg: Message) => void;
}

function StatusLine({ msg, read, receipt, onResend }: Pick<Props, 'msg' | 'read' | 'receipt' | 'onResend'>) {
  if (msg.status === 'sending') return <Text className='msg-status msg-sending'>发送中</Text>;
  if (msg.status === 'sendFailed') {
    return (
      <Text className='msg-status msg-failed' onClick={() => onResend?.(msg.idClient)}>
        {`${msg.error ?? '发送失败'}，点击重发`}
      </Text>
    );
  }
  return (
    <Text className={`msg-status ${read ? 'msg-read' : ''}`}>
      {msg.notice ? `${msg.notice} · ${receipt}` : receipt}
    </Text>
  );
}

/** The content of a bubble by message type; media bubbles have no padding of their own. */
function Body({ msg, mine }: { msg: Message; mine: boolean }) {
  const attach = msg.attach ?? {};
  switch (msg.type) {
    case 'image':
      return <ImageBody attach={attach as Partial<ImageAttach>} idClient={msg.idClient} />;
    case 'audio':
      return <VoiceBody attach={attach as Partial<AudioAttach>} idClient={msg.idClient} mine={mine} />;
    case 'video':
      return <VideoBody attach={attach as Partial<VideoAttach>} idClient={msg.idClient} />;
    case 'file':
      return <FileBody attach={attach as Partial<FileAttach>} idClient={msg.idClient} />;
    case 'geo':
      return typeof attach.lat === 'number' ? <GeoBody attach={attach as unknown as GeoAttach} /> : <TextBody body='[位置]' />;
    case 'custom':
      return <CardBody attach={attach} />;
    default:
      return <TextBody body={msg.body} />;
  }
}

/** One message: ours on the right with its delivery state, theirs on the left with the sender. */
export function MessageBubble({ msg, mine, read, receipt, quote, flash, showNick, onResend, onLongPress, onQuoteTap }: Props) {
  const initial = (msg.fromNick ?? msg.from).slice(0, 1);
  return (
    <View className={`msg-row ${mine ? 'mine' : 'theirs'}${flash ? ' msg-flash' : ''}`} id={itemDomId(msg.idClient)}>
      {!mine && (
        <View className='msg-avatar'>
          <Text>{initial}</Text>
        </View>
      )}
      <View className='msg-col'>
        {!mine && showNick && <Text className='msg-nick'>{msg.fromNick ?? msg.from}</Text>}
        {quote && (
          <View className={`msg-quote${quote.recalled ? ' msg-quote-recalled' : ''}`} onClick={() => !quote.recalled && onQuoteTap?.(quote)}>
            <Text className='msg-quote-text'>{quote.recalled ? quote.text : `${quote.name}：${quote.text}`}</Text>
          </View>
        )}
        <View className={`msg-bubble msg-bubble-${msg.type}`} onLongPress={() => onLongPress?.(msg)}>
          <Body msg={msg} mine={mine} />
        </View>
        {mine && <StatusLine msg={msg} read={read} receipt={receipt} onResend={onResend} />}
      </View>
    </View>
  );
}
