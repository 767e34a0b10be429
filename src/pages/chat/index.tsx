import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useCallback, useEffect, useMemo } from 'react';
import { chat } from '../../chat';
import { ConnectionBanner } from '../../components/ConnectionBanner';
import { InputBar } from '../../components/InputBar';
import { MessageList } from '../../components/MessageList';
import { useChatSession } from '../../components/useChatSession';
import { buildTimeline } from '../../render/timeline';
import { useChat } from '../../store';
import './index.css';

export default function ChatPage() {
  useChatSession();
  const { params } = useRouter();
  const sessionId = decodeURIComponent(params.id ?? '');
  const session = useChat((s) => s.sessions[sessionId]);
  const held = useChat((s) => s.messages[sessionId]);
  const me = useChat((s) => s.me);
  const synced = useChat((s) => s.connection === 'synced');

  useEffect(() => {
    chat().store.getState().openSession(sessionId);
    return () => chat().leaveSession(sessionId);
  }, [sessionId]);

  useEffect(() => {
    if (synced) void chat().enterSession(sessionId);
  }, [synced, sessionId]);

  useEffect(() => {
    if (session?.name) void Taro.setNavigationBarTitle({ title: session.name });
  }, [session?.name]);

  const items = useMemo(
    () =>
      buildTimeline(
        held ? held.order.map((id) => held.byId[id]) : [],
        me?.account,
        Date.now(),
        session?.peerReadSeq ?? 0,
      ),
    [held, me?.account, session?.peerReadSeq],
  );

  const send = useCallback((text: string) => void chat().sendText(sessionId, text), [sessionId]);
  const resend = useCallback((idClient: string) => void chat().resend(sessionId, idClient), [sessionId]);
  const older = useCallback(() => void chat().loadOlder(sessionId), [sessionId]);
  // A chat opened straight from an SMS link has no page below it to go back to.
  const toList = useCallback(() => {
    if (Taro.getCurrentPages().length > 1) void Taro.navigateBack();
    else void Taro.reLaunch({ url: '/pages/sessions/index' });
  }, []);

  return (
    <View className='chat'>
      {process.env.TARO_ENV === 'h5' && (
        <View className='chat-header'>
          <Text className='chat-back' onClick={toList}>
            ‹ 我的问诊
          </Text>
          <Text className='chat-title'>{session?.name ?? ''}</Text>
        </View>
      )}
      <ConnectionBanner />
      <MessageList
        items={items}
        showNick={session?.scene === 'team' && !session.consultation}
        onResend={resend}
        onReachTop={older}
      />
      <InputBar
        onSend={send}
        disabled={!me}
        placeholder={me?.role === 'doctor' ? '回复患者…' : '请描述您的症状或问题…'}
      />
    </View>
  );
}
