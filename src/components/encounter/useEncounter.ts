import Taro, { useDidShow } from '@tarojs/taro';
import { useCallback, useEffect, useState } from 'react';
import type { EncounterView } from '../../../types/encounter';
import type { ConsultationInfo } from '../../../types/message';
import { chat } from '../../chat';
import { errorText } from '../../chat/errorText';
import { errorCodeOf } from '../../im/types';
import { patientStep, STEP_PAGE } from '../../render/encounter';
import { useChat } from '../../store';
import { CHAT, chatBelow } from '../chatPage';

/** The toast for a refused or failed request, in the server's words where it gave some. */
export function toastError(e: unknown): void {
  const userText = (e as { userText?: string })?.userText;
  void Taro.showToast({ title: userText ?? errorText(errorCodeOf(e)), icon: 'none' });
}

/**
 * The encounter of one consultation as this person may see it (identity, consent text, intake, the
 * doctor's verified identity, rating, 追问 left), fetched once the connection is synced, again on show,
 * and whenever the consultation changes under it (closing opens 追问, each 追问 uses one).
 */
export function useEncounter(sessionId: string): { view?: EncounterView; reload: () => void } {
  const synced = useChat((s) => s.connection === 'synced');
  const status = useChat((s) => s.sessions.get(sessionId)?.consultation?.status);
  const followUps = useChat((s) => s.sessions.get(sessionId)?.consultation?.followUps);
  const [view, setView] = useState<EncounterView>();
  const reload = useCallback(() => {
    if (!sessionId) return;
    chat()
      .encounter('encounter', { sessionId })
      .then((r) => setView(r.encounter))
      .catch(() => undefined);
  }, [sessionId]);
  useEffect(() => {
    if (synced) reload();
  }, [synced, reload, status, followUps]);
  useDidShow(() => {
    if (synced) reload();
  });
  return { view, reload };
}

export const sessionParam = (params: Record<string, string | undefined>): string => decodeURIComponent(params.id ?? '');

/**
 * After a step: the next one in place of this page, or back to the chat – the one below when the steps
 * were opened from it (a second chat page would stay hidden beneath on H5), a new one otherwise.
 */
export function nextStep(sessionId: string, consultation: ConsultationInfo): void {
  const next = patientStep(consultation, 'patient');
  const q = `?id=${encodeURIComponent(sessionId)}`;
  if (next) return void Taro.redirectTo({ url: STEP_PAGE[next] + q });
  backToChat(sessionId);
}

/** Back to the chat below this page, or to a new one where this page was opened on its own (a reload, a link). */
export function backToChat(sessionId: string): void {
  if (chatBelow()) void Taro.navigateBack();
  else void Taro.redirectTo({ url: `/${CHAT}?id=${encodeURIComponent(sessionId)}` });
}
