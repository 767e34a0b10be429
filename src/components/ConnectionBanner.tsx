import { Text, View } from '@tarojs/components';
import { useChat } from '../store';

const LABEL = {
  idle: '',
  connecting: '正在连接…',
  syncing: '正在同步消息…',
  synced: '',
  disconnected: '网络已断开，正在重连…',
  authFailed: '',
} as const;

/** Shown while the chat cannot be trusted to be current; hidden once synced. */
export function ConnectionBanner() {
  const connection = useChat((s) => s.connection);
  const error = useChat((s) => s.connectionError);
  const text = connection === 'authFailed' ? error : LABEL[connection];
  if (!text) return null;
  return (
    <View className={`banner banner-${connection}`}>
      <Text>{text}</Text>
    </View>
  );
}
