import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { GeoAttach } from '../../../types/media';
import { opener } from '../../platform/open';

export function GeoBody({ attach }: { attach: GeoAttach }) {
  return (
    <View className='msg-geo' onClick={() => void opener.location(attach).catch((e: Error) => Taro.showToast({ title: e.message, icon: 'none' }))}>
      <Text className='msg-geo-title'>📍 {attach.title}</Text>
      <Text className='msg-geo-coords'>{`${attach.lat.toFixed(5)}, ${attach.lng.toFixed(5)}`}</Text>
    </View>
  );
}
