import { Image, Text, Video, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import type { VideoAttach } from '../../../types/media';
import { imageBox } from '../../render/media';
import { resolveUrl } from '../../platform/server';
import { UploadProgress } from './UploadProgress';

/**
 * The video's box with a play button (over the sender's own thumbnail); the tap swaps in the player,
 * playing. Until then nothing of the video is fetched: a chat with many videos opens without a
 * player per video (on H5 each would load the file's metadata, and hls.js for an .m3u8 source).
 */
export function VideoBody({ attach, idClient }: { attach: Partial<VideoAttach>; idClient: string }) {
  const box = imageBox(attach.w, attach.h);
  const [started, setStarted] = useState(false);
  return (
    <View className='msg-video' style={{ width: Taro.pxTransform(box.width), height: Taro.pxTransform(box.height) }}>
      {attach.url &&
        (started ? (
          <Video className='msg-video-player' src={resolveUrl(attach.url)} poster={attach.poster} controls autoplay objectFit='contain' />
        ) : (
          <View className='msg-video-start' onClick={() => setStarted(true)}>
            {attach.poster && <Image className='msg-video-poster' src={attach.poster} mode='aspectFill' />}
            <Text className='msg-video-start-icon'>▶</Text>
          </View>
        ))}
      <UploadProgress idClient={idClient} />
    </View>
  );
}
