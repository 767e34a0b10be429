import { Button, Text, Textarea, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { QUICK_REPLY_LIMITS } from '../../../types/encounter';
import { chatBelow } from '../../components/chatPage';
import { useQuickReplies } from '../../components/encounter/useQuickReplies';
import { PageHeader } from '../../components/PageHeader';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import '../../components/encounter/encounter.css';

/**
 * Back from 常用语: to the chat it was opened from; a page opened on its own (an H5 reload) names no
 * consultation, so to the doctor's list.
 */
function back(): void {
  if (chatBelow()) void Taro.navigateBack();
  else void Taro.navigateTo({ url: '/consult/sessions/index' });
}

/** The doctor's 常用语: add, edit (tap one), delete, move up; stored on the server for every device. */
export default function RepliesPage() {
  useChatSession();
  const look = usePageStyle();
  const [fromChat] = useState(chatBelow);
  const { replies, change } = useQuickReplies(true);
  const [text, setText] = useState('');
  const [editing, setEditing] = useState<string>();

  const save = () =>
    void change({ op: 'put', reply: { ...(editing ? { id: editing } : {}), text } }).then((ok) => {
      if (!ok) return;
      setText('');
      setEditing(undefined);
    });
  const up = (i: number) => {
    const ids = replies.map((r) => r.id);
    [ids[i - 1], ids[i]] = [ids[i], ids[i - 1]];
    void change({ op: 'order', ids });
  };

  return (
    <View className={`form replies ${look.className}`} style={look.style}>
      <PageHeader back={fromChat ? '返回问诊' : '我的问诊'} onBack={back} />
      <View className='form-section'>
        {!replies.length && <Text className='form-hint'>还没有常用语。添加后，在问诊中一点即可填入。</Text>}
        {replies.map((r, i) => (
          <View key={r.id} className='reply-item'>
            <Text
              className='reply-text'
              onClick={() => {
                setEditing(r.id);
                setText(r.text);
              }}
            >
              {r.text}
            </Text>
            {i > 0 && (
              <Text className='reply-up' onClick={() => up(i)}>
                上移
              </Text>
            )}
            <Text className='form-danger reply-delete' onClick={() => void change({ op: 'delete', replyId: r.id })}>
              删除
            </Text>
          </View>
        ))}
      </View>
      <View className='form-section'>
        <Text className='form-label'>{editing ? '修改常用语' : '新增常用语'}</Text>
        <Textarea
          className='form-textarea reply-input'
          value={text}
          maxlength={QUICK_REPLY_LIMITS.chars}
          placeholder='如：您好，我是您的主治医生，请问现在有什么不舒服？'
          onInput={(e) => setText(e.detail.value)}
        />
        <Button className='form-button reply-save' disabled={!text.trim()} onClick={save}>
          {editing ? '保存' : '添加'}
        </Button>
      </View>
    </View>
  );
}
