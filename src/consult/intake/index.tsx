import { Button, Input, Text, Textarea, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { SYMPTOM_TAGS } from '../../../types/encounter';
import { chat } from '../../chat';
import { IntakeAttachments, useAttachments } from '../../components/encounter/IntakeAttachments';
import { backToChat, nextStep, sessionParam, toastError } from '../../components/encounter/useEncounter';
import { PageHeader } from '../../components/PageHeader';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { EMPTY_INTAKE, intakeForm, type IntakeFields } from '../../render/intake-form';
import '../../components/encounter/encounter.css';

/**
 * 问诊单: chief complaint, duration, symptom tags, allergies, current medication and the earlier
 * diagnosis this follow-up visit is about, with its records attached. Sent once; it becomes the
 * consultation's first card.
 */
export default function IntakePage() {
  useChatSession();
  const look = usePageStyle();
  const sessionId = sessionParam(useRouter().params);
  const [f, setF] = useState<IntakeFields>(EMPTY_INTAKE);
  const [busy, setBusy] = useState(false);
  const attachments = useAttachments();
  const set = <K extends keyof IntakeFields>(k: K, v: IntakeFields[K]) => setF((old) => ({ ...old, [k]: v }));
  const toggle = (tag: string) => set('symptoms', f.symptoms.includes(tag) ? f.symptoms.filter((t) => t !== tag) : [...f.symptoms, tag]);

  const submit = () => {
    const form = intakeForm(f);
    if (typeof form === 'string') return void Taro.showToast({ title: form, icon: 'none' });
    if (!attachments.fileIds) return void Taro.showToast({ title: '资料还在上传，请稍候', icon: 'none' });
    setBusy(true);
    chat()
      .encounter('intake', { sessionId, form: { ...form, attachments: attachments.fileIds } })
      .then(({ consultation }) => nextStep(sessionId, consultation))
      .catch(toastError)
      .finally(() => setBusy(false));
  };

  return (
    <View className={`form intake ${look.className}`} style={look.style}>
      <PageHeader back='返回问诊' onBack={() => backToChat(sessionId)} />
      <Text className='form-title'>填写问诊单</Text>
      <Text className='form-hint'>在线问诊仅限复诊：请填写此前在医院就诊时的诊断，医生将据此为您复诊。</Text>
      <View className='form-section'>
        <Text className='form-label'>主诉（哪里不舒服）</Text>
        <Textarea className='form-textarea intake-complaint' value={f.complaint} maxlength={500} onInput={(e) => set('complaint', e.detail.value)} />
      </View>
      <View className='form-section'>
        <Text className='form-label'>持续时间</Text>
        <Input className='form-input intake-duration' value={f.duration} placeholder='如：3天、半年' onInput={(e) => set('duration', e.detail.value)} />
      </View>
      <View className='form-section'>
        <Text className='form-label'>症状</Text>
        <View className='form-tags'>
          {SYMPTOM_TAGS.map((tag) => (
            <Text key={tag} className={`form-tag intake-symptom ${f.symptoms.includes(tag) ? 'on' : ''}`} onClick={() => toggle(tag)}>
              {tag}
            </Text>
          ))}
        </View>
      </View>
      <View className='form-section'>
        <Text className='form-label'>过敏史</Text>
        {!f.noAllergies && (
          <Input className='form-input intake-allergies' value={f.allergies} placeholder='药物或食物，用逗号分隔' onInput={(e) => set('allergies', e.detail.value)} />
        )}
        <View className='form-tags'>
          <Text className={`form-tag intake-no-allergies ${f.noAllergies ? 'on' : ''}`} onClick={() => set('noAllergies', !f.noAllergies)}>
            无已知过敏
          </Text>
        </View>
      </View>
      <View className='form-section'>
        <Text className='form-label'>正在使用的药物</Text>
        <Input className='form-input intake-medications' value={f.medications} placeholder='没有可不填，用逗号分隔' onInput={(e) => set('medications', e.detail.value)} />
      </View>
      <View className='form-section'>
        <Text className='form-label'>既往诊断（本病）</Text>
        <Input className='form-input intake-diagnosis' value={f.diagnosis} placeholder='如：高血压' onInput={(e) => set('diagnosis', e.detail.value)} />
        <Input className='form-input intake-diagnosed-at' value={f.diagnosedAt} placeholder='诊断时间和医院，如：2025-03 市一医院' onInput={(e) => set('diagnosedAt', e.detail.value)} />
      </View>
      <View className='form-section'>
        <Text className='form-label'>上传既往病历/检查报告（选填）</Text>
        <IntakeAttachments a={attachments} />
      </View>
      <Button className='form-button intake-submit' disabled={busy} onClick={submit}>
        提交问诊单
      </Button>
    </View>
  );
}
