import { Button, Text, View } from '@tarojs/components';
import { useEffect, useState } from 'react';
import type { PrivacyRequest } from '../platform/privacy';
import { AGREE_BUTTON_ID, privacy } from '../platform/privacy';
import './PrivacyPopup.css';

/** Which API asked, in words: the popup says what the agreement is for. */
const WHAT: Record<string, string> = {
  chooseMedia: '选择照片或视频',
  chooseImage: '选择照片',
  chooseVideo: '选择视频',
  chooseLocation: '发送位置',
  authorize: '使用麦克风',
  'RecorderManager.start': '录制语音',
  chooseMessageFile: '选择文件',
  setClipboardData: '复制消息',
};

/**
 * Our 隐私保护指引 popup: shown while a privacy API waits for consent. 同意 is WeChat's
 * agreePrivacyAuthorization button (the platform checks that it was tapped), 拒绝 refuses, and the
 * guide itself opens with openPrivacyContract. `onDone` runs after either answer.
 */
export function PrivacyPopup({ onDone }: { onDone?: () => void }) {
  const [request, setRequest] = useState<PrivacyRequest>();
  useEffect(() => privacy.subscribe(setRequest), []);
  useEffect(() => {
    if (request) privacy.shown();
  }, [request]);
  if (!request) return null;
  const what = WHAT[request.referrer];
  return (
    <View className='privacy-mask'>
      <View className='privacy-popup'>
        <Text className='privacy-title'>隐私保护指引</Text>
        <Text className='privacy-text'>
          {`${what ? `为了${what}，` : ''}在使用前请阅读并同意`}
          <Text className='privacy-link' onClick={() => privacy.openContract()}>
            《隐私保护指引》
          </Text>
          。我们只把您选择发送的照片、视频、语音和位置发给您的医生，不作他用。
        </Text>
        <View className='privacy-actions'>
          <Button
            className='privacy-refuse'
            onClick={() => {
              privacy.disagree();
              onDone?.();
            }}
          >
            拒绝
          </Button>
          <Button
            id={AGREE_BUTTON_ID}
            className='privacy-agree'
            openType='agreePrivacyAuthorization'
            onAgreePrivacyAuthorization={() => {
              privacy.agree(AGREE_BUTTON_ID);
              onDone?.();
            }}
          >
            同意
          </Button>
        </View>
      </View>
    </View>
  );
}
