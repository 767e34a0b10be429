import { Button, Input, Text, View } from '@tarojs/components';
import { useState } from 'react';
import type { CardDraft } from '../../../types/cards';
import type { CardForm, ComposedCardKind } from '../../chat/cardDraft';
import { buildCardDraft, CARD_FIELDS, CARD_TITLES } from '../../chat/cardDraft';

interface Props {
  kind: ComposedCardKind;
  onSubmit: (draft: CardDraft) => void;
  onClose: () => void;
}

/** The doctor's form for a lab request, follow-up reminder or consultation summary. */
export function CardComposer({ kind, onSubmit, onClose }: Props) {
  const [form, setForm] = useState<CardForm>({});
  const [error, setError] = useState('');

  const submit = () => {
    const result = buildCardDraft(kind, form, Date.now());
    if ('error' in result) setError(result.error);
    else onSubmit(result.draft);
  };

  return (
    <View className='card-composer'>
      <View className='card-composer-sheet'>
        <Text className='card-composer-title'>{CARD_TITLES[kind]}</Text>
        {CARD_FIELDS[kind].map((f) => (
          <View key={f.key} className='card-field'>
            <Text className='card-field-label'>{f.label}</Text>
            <Input
              className={`card-input card-input-${f.key}`}
              placeholder={f.placeholder}
              value={form[f.key] ?? ''}
              onInput={(e) => setForm((v) => ({ ...v, [f.key]: e.detail.value }))}
            />
          </View>
        ))}
        {error && <Text className='card-error'>{error}</Text>}
        <View className='card-actions'>
          <Button className='card-cancel' size='mini' onClick={onClose}>
            取消
          </Button>
          <Button className='card-submit' size='mini' type='primary' onClick={submit}>
            发送
          </Button>
        </View>
      </View>
    </View>
  );
}
