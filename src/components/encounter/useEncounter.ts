import Taro, { useDidShow } from '@tarojs/taro';
import { useCallback, useEffect, useState } from 'react';
import type { EncounterView } from '../../../types/encounter';
import { chat } from '../../chat';
import { errorText } from '../../chat/errorText';
import { errorCodeOf } from '../../im/types';
import { useChat } from '../../store';

/** The toast for a refused or failed request, in the server's words where it gave some. */
export function toastError(e: unknown): void {
  const userText = (e as { userText?: string })?.userText;
  void Taro.showToast({ title: userText ?? errorText(errorCodeOf(e)), icon: 'none' });
}

/**
 * The encounter of one consultation as this person may see it (identity, consent text, intake, the
 * doctor's verified identity, rating), fetched once the connection is synced and again on show.
 */
export function useEncounter(sessionId: string): { view?: EncounterView; reload: () => void } {
  const synced = useChat((s) => s.connection === 'synced');
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
  }, [synced, reload]);
  useDidShow(() => {
    if (synced) reload();
  });
  return { view, reload };
}

export const sessionParam = (params: Record<string, string | undefined>): string => decodeURIComponent(params.id ?? '');
