import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useSyncExternalStore } from 'react';
import type { AudioAttach } from '../../../types/media';
import { formatDuration, voiceWidth } from '../../render/media';
import { audioPlayer } from '../../platform/audio';
import { resolveUrl } from '../../platform/server';
import { UploadProgress } from './UploadProgress';

/** A voice clip: width by duration, tap to play or stop; one clip plays at a time. */
export function VoiceBody({ attach, idClient, mine }: { attach: Partial<AudioAttach>; idClient: string; mine: boolean }) {
  const playing = useSyncExternalStore(audioPlayer.subscribe, () => audioPlayer.playingId === idClient);
  const dur = attach.dur ?? 0;
  return (
    <View
      className={`msg-voice ${playing ? 'playing' : ''} ${mine ? 'mine' : ''}`}
      style={{ width: Taro.pxTransform(voiceWidth(dur)) }}
      onClick={() => attach.url && audioPlayer.toggle(idClient, resolveUrl(attach.url))}
    >
      <Text className='msg-voice-icon'>{playing ? '⏸' : '🔊'}</Text>
      <Text className='msg-voice-dur'>{formatDuration(dur)}</Text>
      <UploadProgress idClient={idClient} />
    </View>
  );
}
