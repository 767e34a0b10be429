import { Button, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useEffect, useRef, useState } from 'react';
import type { LocalFile } from '../../platform/files';
import type { VoiceRecorder } from '../../platform/recorder';
import { createVoiceRecorder, RecorderError } from '../../platform/recorder';
import { formatClock } from '../../render/media';
import { RECORD_MAX_MS } from '../../../types/media';

let shared: VoiceRecorder | undefined;
const recorder = (): VoiceRecorder => (shared ??= createVoiceRecorder());

/** Below this many seconds left the countdown turns into a warning. */
const WARN_MS = 10_000;

type State = { kind: 'asking' } | { kind: 'denied'; text: string } | { kind: 'ready' } | { kind: 'recording'; leftMs: number };

/**
 * Tap to record, tap to send (or cancel). The microphone is asked for when this panel opens, never in
 * the middle of a recording; a refusal is explained here instead of failing silently.
 */
export function VoicePanel({ onClip }: { onClip: (clip: LocalFile) => void }) {
  const [state, setState] = useState<State>({ kind: 'asking' });
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    recorder()
      .prepare()
      .then(
        () => alive.current && setState({ kind: 'ready' }),
        (e: Error) => alive.current && setState({ kind: 'denied', text: e.message }),
      );
    return () => {
      alive.current = false;
      recorder().cancel();
    };
  }, []);

  const finish = (clip: Promise<LocalFile>) => {
    setState({ kind: 'ready' });
    clip.then(onClip, (e: Error) => {
      void Taro.showToast({ title: e.message, icon: 'none' });
      if (alive.current && e instanceof RecorderError && e.code === 'denied') setState({ kind: 'denied', text: e.message });
    });
  };

  const start = () => {
    recorder()
      .start({
        onTick: (leftMs) => alive.current && setState({ kind: 'recording', leftMs }),
        onAutoStop: finish,
      })
      .catch((e: Error) => alive.current && setState({ kind: 'denied', text: e.message }));
  };

  if (state.kind === 'asking') return <Text className='voice-hint'>正在请求麦克风权限…</Text>;
  if (state.kind === 'denied') return <Text className='voice-denied'>{state.text}</Text>;
  if (state.kind === 'ready') {
    return (
      <Button className='voice-start' onClick={start}>
        点击开始录音
      </Button>
    );
  }
  return (
    <View className='voice-recording'>
      <Text className={`voice-clock ${state.leftMs <= WARN_MS ? 'voice-warn' : ''}`}>
        {state.leftMs <= WARN_MS ? `还可以说 ${Math.ceil(state.leftMs / 1000)} 秒` : `录音中 ${formatClock(RECORD_MAX_MS - state.leftMs)}`}
      </Text>
      <Button className='voice-cancel' size='mini' onClick={() => (recorder().cancel(), setState({ kind: 'ready' }))}>
        取消
      </Button>
      <Button className='voice-send' size='mini' type='primary' onClick={() => finish(recorder().stop())}>
        发送
      </Button>
    </View>
  );
}
