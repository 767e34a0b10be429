import { Button, Input, Text, Textarea, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useMemo, useState } from 'react';
import { chat } from '../../chat';
import { backToChat, sessionParam, toastError } from '../../components/encounter/useEncounter';
import { PageHeader } from '../../components/PageHeader';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { newIdClient } from '../../im/ids';
import { isRxCard } from '../../render/encounter';
import { drugFields, EMPTY_DRUG, rxDraft, type DrugFields } from '../../render/rx-form';
import { useChat } from '../../store';
import '../../components/encounter/encounter.css';

const DRUG_FIELDS: Array<{ key: keyof DrugFields; placeholder: string }> = [
  { key: 'name', placeholder: '药品名称' },
  { key: 'category', placeholder: '管理类别，如：处方药' },
  { key: 'specification', placeholder: '规格，如：0.25g×24片/盒' },
  { key: 'dosage', placeholder: '单次用量，如：每次 0.5g' },
  { key: 'usage', placeholder: '用法频次，如：口服，每日 3 次' },
  { key: 'quantity', placeholder: '数量' },
  { key: 'unit', placeholder: '单位，如：盒' },
];

/**
 * 开具处方: diagnosis, drugs, advice. The server signs it with the hospital's key and a pharmacist
 * reviews it; `corrects` opens the form on a rejected prescription to answer it with a corrected card.
 */
export default function PrescribePage() {
  useChatSession();
  const look = usePageStyle();
  const { params } = useRouter();
  const sessionId = sessionParam(params);
  const corrects = params.corrects ? decodeURIComponent(params.corrects) : undefined;
  const loaded = useChat((s) => s.messages.get(sessionId));
  const rejected = useMemo(() => {
    if (!corrects || !loaded) return undefined;
    const card = loaded.order.toArray().find((m) => isRxCard(m.attach) && m.attach.rx.id === corrects)?.attach;
    return isRxCard(card) ? card.rx : undefined;
  }, [corrects, loaded]);
  const [diagnosis, setDiagnosis] = useState(rejected?.diagnosis ?? '');
  const [drugs, setDrugs] = useState<DrugFields[]>(rejected ? rejected.drugs.map(drugFields) : [EMPTY_DRUG]);
  const [note, setNote] = useState(rejected?.note ?? '');
  const [busy, setBusy] = useState(false);
  const setDrug = (i: number, key: keyof DrugFields, value: string) =>
    setDrugs((old) => old.map((d, j) => (j === i ? { ...d, [key]: value } : d)));

  const submit = () => {
    const rx = rxDraft(diagnosis, drugs, note, corrects);
    if (typeof rx === 'string') return void Taro.showToast({ title: rx, icon: 'none' });
    setBusy(true);
    chat()
      .encounter('prescribe', { sessionId, idClient: newIdClient(), rx })
      .then(() => backToChat(sessionId))
      .catch(toastError)
      .finally(() => setBusy(false));
  };

  return (
    <View className={`form prescribe ${look.className}`} style={look.style}>
      <PageHeader back='返回问诊' onBack={() => backToChat(sessionId)} />
      <Text className='form-title'>{corrects ? '修改处方' : '开具电子处方'}</Text>
      {corrects && <Text className='form-hint'>修改后将作为新处方重新提交药师审核。</Text>}
      <View className='form-section'>
        <Text className='form-label'>诊断</Text>
        <Input className='form-input rx-diagnosis' value={diagnosis} onInput={(e) => setDiagnosis(e.detail.value)} />
      </View>
      <View className='form-section'>
        <Text className='form-label'>药品</Text>
        {drugs.map((d, i) => (
          <View key={i} className={`drug drug-${i}`}>
            {DRUG_FIELDS.map(({ key, placeholder }) => (
              <Input
                key={key}
                className={`form-input rx-drug-${key}`}
                type={key === 'quantity' ? 'number' : 'text'}
                value={d[key]}
                placeholder={placeholder}
                onInput={(e) => setDrug(i, key, e.detail.value)}
              />
            ))}
            {drugs.length > 1 && (
              <Text className='form-danger rx-drug-remove' onClick={() => setDrugs(drugs.filter((_, j) => j !== i))}>
                删除此药品
              </Text>
            )}
          </View>
        ))}
        <Button className='form-button form-button-secondary rx-drug-add' size='mini' onClick={() => setDrugs([...drugs, EMPTY_DRUG])}>
          添加药品
        </Button>
      </View>
      <View className='form-section'>
        <Text className='form-label'>医嘱（选填）</Text>
        <Textarea className='form-textarea rx-note' value={note} onInput={(e) => setNote(e.detail.value)} />
      </View>
      <Button className='form-button rx-submit' disabled={busy} onClick={submit}>
        提交审核
      </Button>
    </View>
  );
}
