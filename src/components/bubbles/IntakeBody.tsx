import { Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { Fragment, useMemo } from 'react';
import type { IntakeCard } from '../../../types/encounter';
import { opener } from '../../platform/open';
import { resolveUrl } from '../../platform/server';
import { intakeView } from '../../render/encounter';

const open = (url: string, ext: string) =>
  void opener.document(resolveUrl(url), ext).catch((e: Error) => Taro.showToast({ title: e.message, icon: 'none' }));

/** The intake form (问诊单), the first card of a consultation; allergies in red. */
export function IntakeBody({ card }: { card: IntakeCard }) {
  const view = useMemo(() => intakeView(card), [card]);
  return (
    <View className='msg-card msg-card-intake'>
      <Text className='msg-card-title'>{view.title}</Text>
      {view.rows.map((row) => (
        <View key={row.label} className='msg-card-row'>
          <Text className='msg-card-label'>{row.label}</Text>
          <Text className='msg-card-value' userSelect>
            {row.value}
          </Text>
        </View>
      ))}
      {view.attachments.length > 0 && (
        <View className='msg-card-row'>
          <Text className='msg-card-label'>资料</Text>
          <Text className='msg-card-value'>
            {view.attachments.map((a, i) => (
              <Fragment key={i}>
                {i > 0 && '、'}
                <Text className={a.url ? 'intake-attachment link' : 'intake-attachment'} onClick={a.url ? () => open(a.url as string, a.ext) : undefined}>
                  {a.name}
                </Text>
              </Fragment>
            ))}
          </Text>
        </View>
      )}
      <View className='msg-card-row'>
        <Text className='msg-card-label'>过敏</Text>
        <Text className={view.allergies ? 'msg-card-value intake-allergies' : 'msg-card-value'}>{view.allergies ?? '无已知过敏'}</Text>
      </View>
      <Text className='msg-card-footer'>{view.footer}</Text>
    </View>
  );
}
