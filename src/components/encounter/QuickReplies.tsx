import { ScrollView, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { QuickReply } from '../../../types/encounter';

interface Props {
  replies: QuickReply[];
  /** One tap puts the reply into the input, to send as it is or after a change. */
  onPick: (text: string) => void;
}

/** 常用语 above the doctor's input: the doctor's own replies, and 管理 to edit them. */
export function QuickReplies({ replies, onPick }: Props) {
  return (
    <View className='quick-replies'>
      <ScrollView className='quick-replies-list' scrollX>
        {replies.map((r) => (
          <Text key={r.id} className='quick-reply' onClick={() => onPick(r.text)}>
            {r.text}
          </Text>
        ))}
      </ScrollView>
      <Text className='quick-replies-edit' onClick={() => void Taro.navigateTo({ url: '/consult/replies/index' })}>
        {replies.length ? '管理' : '添加常用语'}
      </Text>
    </View>
  );
}
