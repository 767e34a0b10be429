import { View } from '@tarojs/components';
import { useChat } from '../../store';

/** A thin bar along the bottom of a bubble while its file uploads. */
export function UploadProgress({ idClient }: { idClient: string }) {
  const progress = useChat((s) => s.uploads[idClient]);
  if (progress === undefined) return null;
  return (
    <View className='upload-progress' aria-valuenow={Math.round(progress * 100)}>
      <View className='upload-progress-bar' style={{ width: `${Math.round(progress * 100)}%` }} />
    </View>
  );
}
