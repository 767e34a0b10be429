import { Text, View } from '@tarojs/components';
import type { GeoAttach } from '../../../types/media';
import { opener } from '../../platform/open';

export function GeoBody({ attach }: { attach: GeoAttach }) {
  return (
    <View className='msg-geo' onClick={() => void opener.location(attach)}>
      <Text className='msg-geo-title'>📍 {attach.title}</Text>
      <Text className='msg-geo-coords'>{`${attach.lat.toFixed(5)}, ${attach.lng.toFixed(5)}`}</Text>
    </View>
  );
}
