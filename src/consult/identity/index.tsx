import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { chat } from '../../chat';
import { backToChat, nextStep, sessionParam, toastError, useEncounter } from '../../components/encounter/useEncounter';
import { PageHeader } from '../../components/PageHeader';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { guardianLine, identityLine } from '../../render/encounter';
import '../../components/encounter/encounter.css';

/**
 * 确认就诊人: the hospital's records this account may consult for (self, a child with a guardian…),
 * masked as 李* and 110***********1234; the patient confirms one, then goes on to the consent.
 */
export default function IdentityPage() {
  useChatSession();
  const look = usePageStyle();
  const sessionId = sessionParam(useRouter().params);
  const { view } = useEncounter(sessionId);
  const [chosen, setChosen] = useState(0);
  const [busy, setBusy] = useState(false);
  const candidates = view?.candidates ?? [];

  const confirm = () => {
    setBusy(true);
    chat()
      .encounter('identity', { sessionId, candidate: chosen })
      .then(({ consultation }) => nextStep(sessionId, consultation))
      .catch(toastError)
      .finally(() => setBusy(false));
  };

  return (
    <View className={`form identity ${look.className}`} style={look.style}>
      <PageHeader back='返回问诊' onBack={() => backToChat(sessionId)} />
      <Text className='form-title'>请确认本次问诊的就诊人</Text>
      <Text className='form-hint'>根据互联网诊疗监管要求，问诊需实名。以下为医院登记的就诊人信息（已隐去部分内容）。</Text>
      {view && !candidates.length && <Text className='form-hint'>医院暂未登记就诊人信息，请联系医院。</Text>}
      {candidates.map((c, i) => (
        <View key={i} className={`identity-option ${i === chosen ? 'on' : ''}`} onClick={() => setChosen(i)}>
          <Text className='identity-name'>{identityLine(c)}</Text>
          <Text className='identity-id'>{`证件号 ${c.idNumber}`}</Text>
          {guardianLine(c) && <Text className='identity-guardian'>{guardianLine(c)}</Text>}
        </View>
      ))}
      <Button className='form-button identity-confirm' disabled={busy || !candidates.length} onClick={confirm}>
        确认就诊人
      </Button>
    </View>
  );
}
