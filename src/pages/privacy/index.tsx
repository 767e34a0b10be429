import { View } from '@tarojs/components';
import Taro, { useUnload } from '@tarojs/taro';
import { useRef } from 'react';
import { privacy } from '../../platform/privacy';
import { PrivacyPopup } from '../../privacy/PrivacyPopup';
import { usePageStyle } from '../../components/usePageStyle';

/**
 * Opened when a privacy API asks for consent on a page that shows no popup of its own: the popup, and
 * back to where the person was once they answered. Leaving without an answer refuses.
 */
export default function PrivacyPage() {
  const answered = useRef(false);
  const look = usePageStyle();
  useUnload(() => {
    if (!answered.current && privacy.request()) privacy.disagree();
  });
  return (
    <View className={`privacy-page ${look.className}`} style={look.style}>
      <PrivacyPopup
        onDone={() => {
          answered.current = true;
          void Taro.navigateBack();
        }}
      />
    </View>
  );
}
