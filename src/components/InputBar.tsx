import { Button, Input, View } from '@tarojs/components';
import { useEffect, useState } from 'react';

interface Props {
  onSend: (text: string) => void;
  disabled?: boolean;
  placeholder?: string;
  onTyping?: () => void;
  /** Text to put into the field (re-editing a recalled message); a new object each time. */
  fill?: { text: string };
}

export function InputBar({ onSend, disabled, placeholder, onTyping, fill }: Props) {
  const [text, setText] = useState('');
  useEffect(() => {
    if (fill) setText(fill.text);
  }, [fill]);
  const canSend = !disabled && text.trim().length > 0;
  const submit = () => {
    if (!canSend) return;
    onSend(text);
    setText('');
  };
  return (
    <View className='input-bar'>
      <Input
        className='input-field'
        value={text}
        disabled={disabled}
        placeholder={placeholder}
        confirmType='send'
        confirmHold
        adjustPosition
        maxlength={2000}
        onInput={(e) => {
          setText(e.detail.value);
          onTyping?.();
        }}
        onConfirm={submit}
      />
      <Button className='input-send' size='mini' type='primary' disabled={!canSend} onClick={submit}>
        发送
      </Button>
    </View>
  );
}
