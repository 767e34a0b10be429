import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { chat } from '../../chat';
import { backToChat, nextStep, sessionParam, toastError, useEncounter } from '../../components/encounter/useEncounter';
import { PageHeader } from '../../components/PageHeader';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import { identityLine } from '../../render/encounter';
import '../../components/encounter/encounter.css';

/**
 * 知情同意书: the hospital's text of the version the server names; agreeing records that version and
 * the time (the server audits it). No patient message is taken before (consentRequired).
 */
export default function ConsentPage() {
  useChatSession();
  const look = usePageStyle();
  const sessionId = sessionParam(useRouter().params);
  const { view } = useEncounter(sessionId);
  const [read, setRead] = useState(false);
  const [busy, setBusy] = useState(false);
  const consent = view?.consent;

  const agree = () => {
    if (!consent) return;
    setBusy(true);
    chat()
      .encounter('consent', { sessionId, version: consent.version })
      .then(({ consultation }) => nextStep(sessionId, consultation))
      .catch(toastError)
      .finally(() => setBusy(false));
  };

  return (
    <View className={`form consent ${look.className}`} style={look.style}>
      <PageHeader back='返回问诊' onBack={() => backToChat(sessionId)} />
      <Text className='form-title'>互联网诊疗知情同意书</Text>
      {view?.identity && <Text className='form-hint'>{`就诊人：${identityLine(view.identity)}`}</Text>}
      <View className='form-section'>
        <Text className='consent-text'>{consent?.text ?? '正在加载…'}</Text>
        {consent && <Text className='consent-version'>{`版本 ${consent.version}`}</Text>}
      </View>
      {consent?.accepted ? (
        <Text className='form-hint consent-accepted'>您已同意本知情同意书。</Text>
      ) : (
        <View>
          <View className={`consent-agree ${read ? 'on' : ''}`} onClick={() => setRead(!read)}>
            <Text className='consent-check'>{read ? '☑' : '☐'}</Text>
            <Text>我已阅读并同意以上内容</Text>
          </View>
          <Button className='form-button consent-submit' disabled={!consent || !read || busy} onClick={agree}>
            同意并继续
          </Button>
        </View>
      )}
    </View>
  );
}
