import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Message } from '../../types/message';
import { chat } from '../chat';
import { chatStore, type SessionMessages } from '../store';
import { olderSpan, spanAround, spanMessages } from '../store/span';

/**
 * The chat page's span of held messages (src/store/span.ts) as React state: `msgs`, what the list is
 * built from; `older`, the list's onLoadOlder (a wider span while more is held, else a page from the
 * server, which the span then takes in); `reach`, to hold a jump's target. It grows with the messages
 * that arrive while the page is open, which is what a visit costs, not the chat's length.
 */
export function useMessageSpan(sessionId: string, held: SessionMessages | undefined) {
  const [from, setFrom] = useState<string>();
  const current = useRef(from);
  current.current = from;
  const msgs = useMemo(() => (held ? spanMessages(held, from) : []), [held, from]);
  // Pinned where it starts once there are messages: live ones then join the span without pushing its
  // oldest out from under a reader who scrolled up (the list's window would shrink and move).
  const pinned = msgs[0]?.idClient;
  useEffect(() => {
    if (from === undefined && pinned !== undefined) setFrom(pinned);
  }, [from, pinned]);

  // The list reads the items it was given once `older` resolves: it resolves after the render that
  // committed a new start (the list renders before its page's effects run), not after an earlier one a
  // live message brought first. Every start set after the request is as wide or wider (a jump's).
  const widening = useRef<Array<() => void>>([]);
  useEffect(() => {
    const due = widening.current;
    widening.current = [];
    for (const done of due) done();
  }, [from]);
  const widen = useCallback(
    (to: string) =>
      to === current.current
        ? Promise.resolve()
        : new Promise<void>((done) => {
            widening.current.push(done);
            setFrom(to);
          }),
    [],
  );

  const older = useCallback(async (): Promise<boolean> => {
    const before = chatStore.getState().messages.get(sessionId);
    const next = before && olderSpan(before, current.current);
    if (next) {
      await widen(next);
      return true;
    }
    const more = await chat().loadOlder(sessionId);
    const oldest = chatStore.getState().messages.get(sessionId)?.order.at(0);
    if (oldest && oldest.idClient !== before?.order.at(0)?.idClient) await widen(oldest.idClient);
    return more;
  }, [sessionId, widen]);

  const reach = useCallback(
    (target: Message) => {
      const now = chatStore.getState().messages.get(sessionId);
      const to = now && spanAround(now, current.current, target);
      if (to) setFrom(to);
    },
    [sessionId],
  );

  return { msgs, older, reach };
}
