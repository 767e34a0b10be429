import { Text, View } from '@tarojs/components';
import type { ConnectionPhase } from '../store';
import { useChat } from '../store';

const LABEL: Record<ConnectionPhase, string> = {
  idle: '',
  connecting: '正在连接…',
  syncing: '正在同步消息…',
  synced: '',
  disconnected: '网络已断开，正在重连…',
  authFailed: '登录已失效',
  kicked: '已在其他设备登录',
};

/** Shown while the chat cannot be trusted to be current; hidden once synced. */
export function ConnectionBanner() {
  const connection = useChat((s) => s.connection);
  const error = useChat((s) => s.connectionError);
  // The controller's error text says which kind of trouble it is (offline, logged in elsewhere, …).
  const text = error || LABEL[connection];
  if (!text) return null;
  return (
    <View className={`banner banner-${connection}`}>
      <Text>{text}</Text>
    </View>
  );
}
