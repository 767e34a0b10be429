import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { FileAttach } from '../../../types/media';
import { fileBadge, formatSize } from '../../render/media';
import { opener } from '../../platform/open';
import { resolveUrl } from '../../platform/server';
import { UploadProgress } from './UploadProgress';

export function FileBody({ attach, idClient }: { attach: Partial<FileAttach>; idClient: string }) {
  const open = () => {
    if (!attach.url || attach.url.startsWith('blob:')) return;
    opener.document(resolveUrl(attach.url), attach.ext ?? '').catch((e: Error) => Taro.showToast({ title: e.message, icon: 'none' }));
  };
  return (
    <View className='msg-file' onClick={open}>
      <View className='msg-file-info'>
        <Text className='msg-file-name'>{attach.name ?? '文件'}</Text>
        <Text className='msg-file-size'>{formatSize(attach.size ?? 0)}</Text>
      </View>
      <Text className='msg-file-badge'>{fileBadge(attach.ext ?? '')}</Text>
      <UploadProgress idClient={idClient} />
    </View>
  );
}
