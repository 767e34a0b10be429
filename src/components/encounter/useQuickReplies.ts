import { useDidShow } from '@tarojs/taro';
import { useCallback, useEffect, useState } from 'react';
import type { QuickReply, QuickReplyOp } from '../../../types/encounter';
import { chat } from '../../chat';
import { useChat } from '../../store';
import { toastError } from './useEncounter';

/** The signed-in doctor's quick replies (常用语), as stored on the server; `change` edits and stores. */
export function useQuickReplies(enabled: boolean): { replies: QuickReply[]; change: (op: QuickReplyOp) => Promise<boolean> } {
  const synced = useChat((s) => s.connection === 'synced');
  const [replies, setReplies] = useState<QuickReply[]>([]);
  const change = useCallback(
    (op: QuickReplyOp) =>
      chat()
        .encounter('quickReplies', op)
        .then((r) => {
          setReplies(r.replies);
          return true;
        })
        .catch((e) => {
          toastError(e);
          return false;
        }),
    [],
  );
  useEffect(() => {
    if (enabled && synced) void change({ op: 'list' });
  }, [enabled, synced, change]);
  useDidShow(() => {
    if (enabled && synced) void change({ op: 'list' });
  });
  return { replies, change };
}
