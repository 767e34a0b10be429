import { Button, Input, View } from '@tarojs/components';
import { useState } from 'react';

interface Props {
  onSend: (text: string) => void;
  disabled?: boolean;
  placeholder?: string;
}

export function InputBar({ onSend, disabled, placeholder }: Props) {
  const [text, setText] = useState('');
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
        onInput={(e) => setText(e.detail.value)}
        onConfirm={submit}
      />
      <Button className='input-send' size='mini' type='primary' disabled={!canSend} onClick={submit}>
        发送
      </Button>
    </View>
  );
}
