import { Text, View } from '@tarojs/components';
import type { ReactNode } from 'react';
import './PageHeader.css';

interface Props {
  /** Where the back control leads, as the person reads it ("我的问诊", "返回问诊"). */
  back: string;
  onBack: () => void;
  title?: string;
  /** Beside the title (the chat's typing hint). */
  children?: ReactNode;
}

/**
 * H5 only: the page's own back control and title. Mini programs have the platform's navigation bar with
 * its back button; a page opened from an SMS link in a browser may have no history to go back in.
 */
export function PageHeader({ back, onBack, title, children }: Props) {
  if (process.env.TARO_ENV !== 'h5') return null;
  return (
    <View className='page-header'>
      <Text className='page-back' onClick={onBack}>
        {`‹ ${back}`}
      </Text>
      <Text className='page-title'>{title ?? ''}</Text>
      {children}
    </View>
  );
}
