import { Button, Input, Text, View } from '@tarojs/components';
import { useEffect, useState } from 'react';
import type { LocalFile } from '../platform/files';
import { EmojiPanel } from './composer/EmojiPanel';
import type { ComposerAction } from './composer/MorePanel';
import { MorePanel } from './composer/MorePanel';
import { VoicePanel } from './composer/VoicePanel';

interface Props {
  onSend: (text: string) => void;
  disabled?: boolean;
  placeholder?: string;
  onTyping?: () => void;
  /** Text to put into the field (re-editing a recalled message); a new object each time. */
  fill?: { text: string };
  /** What the "+" panel offers; no "+" without actions. */
  actions?: ComposerAction[];
  /** A recorded voice clip to send; no voice mode without it. */
  onVoice?: (clip: LocalFile) => void;
}

type Panel = 'none' | 'emoji' | 'more' | 'voice';

/** Text with emoji, or voice; the "+" panel for photos, files, location and cards. */
export function InputBar({ onSend, disabled, placeholder, onTyping, fill, actions, onVoice }: Props) {
  const [text, setText] = useState('');
  const [panel, setPanel] = useState<Panel>('none');
  useEffect(() => {
    if (fill) setText(fill.text);
  }, [fill]);
  const canSend = !disabled && text.trim().length > 0;
  const submit = () => {
    if (!canSend) return;
    onSend(text);
    setText('');
  };
  const toggle = (p: Panel) => setPanel((cur) => (cur === p ? 'none' : p));
  const voice = panel === 'voice' && onVoice;
  return (
    <View className='composer'>
      <View className='input-bar'>
        {onVoice && (
          <Text className='input-icon voice-toggle' aria-label={voice ? '键盘' : '语音'} onClick={() => !disabled && toggle('voice')}>
            {voice ? '⌨️' : '🎤'}
          </Text>
        )}
        {voice ? (
          <View className='voice-area'>
            <VoicePanel onClip={onVoice} />
          </View>
        ) : (
          <Input
            className='input-field'
            value={text}
            disabled={disabled}
            placeholder={placeholder}
            confirmType='send'
            confirmHold
            adjustPosition
            maxlength={2000}
            onFocus={() => setPanel('none')}
            onInput={(e) => {
              setText(e.detail.value);
              onTyping?.();
            }}
            onConfirm={submit}
          />
        )}
        <Text className='input-icon emoji-toggle' aria-label='表情' onClick={() => !disabled && toggle('emoji')}>
          😊
        </Text>
        {actions && actions.length > 0 && (
          <Text className='input-icon more-toggle' aria-label='更多' onClick={() => !disabled && toggle('more')}>
            ＋
          </Text>
        )}
        <Button className='input-send' size='mini' type='primary' disabled={!canSend} onClick={submit}>
          发送
        </Button>
      </View>
      {panel === 'emoji' && <EmojiPanel onPick={(p) => setText((t) => t + p)} />}
      {panel === 'more' && actions && (
        <MorePanel
          actions={actions.map((a) => ({
            ...a,
            run: () => {
              setPanel('none');
              a.run();
            },
          }))}
        />
      )}
    </View>
  );
}
