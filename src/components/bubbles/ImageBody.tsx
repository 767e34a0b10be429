import { Image, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { ImageAttach } from '../../../types/media';
import { imageBox } from '../../render/media';
import { pickers } from '../../platform/pick';
import { resolveUrl } from '../../platform/server';
import { UploadProgress } from './UploadProgress';

/**
 * The thumbnail in a box sized from the image's known width and height, so the list does not jump
 * when it loads; tapping opens the full image.
 */
export function ImageBody({ attach, idClient }: { attach: Partial<ImageAttach>; idClient: string }) {
  const box = imageBox(attach.w, attach.h);
  const src = attach.thumbUrl ?? attach.url;
  const full = attach.url ? resolveUrl(attach.url) : undefined;
  return (
    <View className='msg-image' style={{ width: Taro.pxTransform(box.width), height: Taro.pxTransform(box.height) }}>
      {src && (
        <Image
          className='msg-image-img'
          src={resolveUrl(src)}
          mode='aspectFill'
          lazyLoad
          onClick={() => full && pickers.previewImage([full], full)}
        />
      )}
      <UploadProgress idClient={idClient} />
    </View>
  );
}
