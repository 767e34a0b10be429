import Taro from '@tarojs/taro';
import { useMemo, useRef } from 'react';
import type { Message, Role } from '../../../types/message';
import { chat } from '../../chat';
import { rxCardStates, type RxCardStates } from '../../render/encounter';
import type { EncounterCards } from './context';
import { toastError } from './useEncounter';

/**
 * The chat page's EncounterCardsContext for the cards among `msgs`. A new value renders every card in
 * the list's window again, memoised items or not: it changes only when what the cards read changes
 * (a review, a correction, the role, the session), not with every message.
 */
export function useEncounterCards(msgs: readonly Message[], role: Role | undefined, sessionId: string): EncounterCards {
  const kept = useRef<RxCardStates>();
  const states = useMemo(() => (kept.current = rxCardStates(msgs, kept.current)), [msgs]);
  const taps = useMemo(() => {
    const q = `?id=${encodeURIComponent(sessionId)}`;
    return {
      onRenew: (prescriptionId: string) =>
        void chat()
          .encounter('renewRx', { prescriptionId })
          .then(() => Taro.showToast({ title: '已向医生申请续方', icon: 'success' }))
          .catch(toastError),
      onCorrect: (id: string) => void Taro.navigateTo({ url: `/consult/prescribe/index${q}&corrects=${encodeURIComponent(id)}` }),
    };
  }, [sessionId]);
  return useMemo(() => ({ role, ...states, ...taps }), [role, states, taps]);
}
