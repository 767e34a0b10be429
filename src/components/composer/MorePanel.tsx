import { Text, View } from '@tarojs/components';

export interface ComposerAction {
  key: string;
  label: string;
  icon: string;
  run: () => void;
}

/** The "+" panel: photos, camera, video, documents, location, and the doctor's cards. */
export function MorePanel({ actions }: { actions: ComposerAction[] }) {
  return (
    <View className='more-panel'>
      {actions.map((a) => (
        <View key={a.key} className={`more-item more-item-${a.key}`} onClick={a.run}>
          <Text className='more-item-icon'>{a.icon}</Text>
          <Text className='more-item-label'>{a.label}</Text>
        </View>
      ))}
    </View>
  );
}
