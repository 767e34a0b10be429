import { Button, Input, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { TEXT_MAX_CHARS, textOverLimit } from '../../types/message';
import { MAX_DRAFT_CHARS } from '../chat/drafts';
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
  /**
   * The field's text, owned by the page (the session's draft in the store): a remounted composer, a
   * restored draft and a 常用语 all show the one copy the person's typing changed last.
   */
  text: string;
  onTextChange: (text: string) => void;
  /** What the "+" panel offers; no "+" without actions. */
  actions?: ComposerAction[];
  /** A recorded voice clip to send; no voice mode without it. */
  onVoice?: (clip: LocalFile) => void;
  /** The quoted message's line ("张医生：…") while replying to it, with a cancel. */
  quote?: string;
  onCancelQuote?: () => void;
}

type Panel = 'none' | 'emoji' | 'more' | 'voice';

/** Text with emoji, or voice; the "+" panel for photos, files, location and cards. */
export function InputBar({ onSend, disabled, placeholder, onTyping, text, onTextChange, actions, onVoice, quote, onCancelQuote }: Props) {
  const [panel, setPanel] = useState<Panel>('none');
  const over = textOverLimit(text);
  const canSend = !disabled && text.trim().length > 0 && !over;
  const submit = () => {
    if (!canSend) return;
    onSend(text);
    onTextChange('');
  };
  const toggle = (p: Panel) => setPanel((cur) => (cur === p ? 'none' : p));
  const voice = panel === 'voice' && onVoice;
  return (
    <View className='composer'>
      {quote !== undefined && (
        <View className='composer-quote'>
          <Text className='composer-quote-text'>{`引用 ${quote}`}</Text>
          <Text className='composer-quote-cancel' aria-label='取消引用' onClick={onCancelQuote}>
            ✕
          </Text>
        </View>
      )}
      {over > 0 && <Text className='composer-over'>{`超出 ${over} 字（每条最多 ${TEXT_MAX_CHARS} 字），请删减或分段发送`}</Text>}
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
            maxlength={MAX_DRAFT_CHARS}
            onFocus={() => setPanel('none')}
            onInput={(e) => {
              onTextChange(e.detail.value);
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
      {panel === 'emoji' && <EmojiPanel onPick={(p) => onTextChange(text + p)} />}
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
