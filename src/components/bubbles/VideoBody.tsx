import { Video, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { VideoAttach } from '../../../types/media';
import { imageBox } from '../../render/media';
import { resolveUrl } from '../../platform/server';
import { UploadProgress } from './UploadProgress';

export function VideoBody({ attach, idClient }: { attach: Partial<VideoAttach>; idClient: string }) {
  const box = imageBox(attach.w, attach.h);
  return (
    <View className='msg-video' style={{ width: Taro.pxTransform(box.width), height: Taro.pxTransform(box.height) }}>
      {attach.url && <Video className='msg-video-player' src={resolveUrl(attach.url)} poster={attach.poster} controls objectFit='contain' />}
      <UploadProgress idClient={idClient} />
    </View>
  );
}
