/** The composer as a page holds it: the text lives outside (the page keeps it as the draft). */
import { useState } from 'react';
import { InputBar } from '../../src/components/InputBar';

type Props = Omit<Parameters<typeof InputBar>[0], 'text' | 'onTextChange'> & {
  initial?: string;
  onTextChange?: (text: string) => void;
};

export function HeldInputBar({ initial = '', onTextChange, ...props }: Props) {
  const [text, setText] = useState(initial);
  return (
    <InputBar
      {...props}
      text={text}
      onTextChange={(next) => {
        setText(next);
        onTextChange?.(next);
      }}
    />
  );
}
