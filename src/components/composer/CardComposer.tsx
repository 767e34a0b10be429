import { Button, Input, Text, View } from '@tarojs/components';
import { useState } from 'react';
import type { CardDraft, CardKind } from '../../../types/cards';
import type { CardForm, DrugForm } from '../../chat/cardDraft';
import { buildCardDraft, CARD_FIELDS, CARD_TITLES, emptyDrug } from '../../chat/cardDraft';

const DRUG_FIELDS: Array<{ key: keyof DrugForm; placeholder: string }> = [
  { key: 'name', placeholder: '药品名称' },
  { key: 'spec', placeholder: '规格（选填）' },
  { key: 'dosage', placeholder: '用量，如每次 1 粒' },
  { key: 'frequency', placeholder: '频次，如每日 2 次' },
  { key: 'days', placeholder: '天数（选填）' },
];

interface Props {
  kind: CardKind;
  onSubmit: (draft: CardDraft) => void;
  onClose: () => void;
}

/** The doctor's form for a prescription, lab request, follow-up reminder or consultation summary. */
export function CardComposer({ kind, onSubmit, onClose }: Props) {
  const [form, setForm] = useState<CardForm>({});
  const [drugs, setDrugs] = useState<DrugForm[]>([emptyDrug()]);
  const [error, setError] = useState('');

  const submit = () => {
    const result = buildCardDraft(kind, form, drugs, Date.now());
    if ('error' in result) setError(result.error);
    else onSubmit(result.draft);
  };
  const setDrug = (i: number, key: keyof DrugForm, value: string) =>
    setDrugs((ds) => ds.map((d, j) => (j === i ? { ...d, [key]: value } : d)));

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
        {kind === 'prescription' && (
          <View className='card-drugs'>
            {drugs.map((d, i) => (
              <View key={i} className='card-drug'>
                {DRUG_FIELDS.map((f) => (
                  <Input
                    key={f.key}
                    className={`card-input card-drug-${f.key}`}
                    placeholder={f.placeholder}
                    value={d[f.key]}
                    onInput={(e) => setDrug(i, f.key, e.detail.value)}
                  />
                ))}
              </View>
            ))}
            <Text className='card-add-drug' onClick={() => setDrugs((ds) => [...ds, emptyDrug()])}>
              + 添加药品
            </Text>
          </View>
        )}
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
