import { Button, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { ConsultationView } from '../render/consultation';
import type { ConsultationAction } from '../../types/message';

interface Props {
  view: ConsultationView;
  onAction: (action: ConsultationAction) => Promise<string | undefined>;
  /** Called in the tap itself, before the confirmation: what needs the tap's gesture (a consent prompt). */
  onTap?: (action: ConsultationAction) => void;
}

/** The consultation's state, what is left of it, and the buttons this person has (each confirmed). */
export function ConsultationBar({ view, onAction, onTap }: Props) {
  const run = async (a: ConsultationView['actions'][number]) => {
    const { confirm } = await Taro.showModal({ title: a.label, content: a.confirm });
    if (!confirm) return;
    const error = await onAction(a.action);
    if (error) await Taro.showToast({ title: error, icon: 'none' });
  };
  return (
    <View className='consultation-bar'>
      <Text className='consultation-status'>{view.status}</Text>
      {view.hint && <Text className='consultation-hint'>{view.hint}</Text>}
      {view.actions.map((a) => (
        <Button key={a.action} className={`consultation-action consultation-${a.action}`} size='mini' onClick={() => {
            onTap?.(a.action);
            void run(a);
          }}
        >
          {a.label}
        </Button>
      ))}
    </View>
  );
}
