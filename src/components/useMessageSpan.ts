import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Message } from '../../types/message';
import { chat } from '../chat';
import { chatStore, type SessionMessages } from '../store';
import { useSameElements } from './useSameElements';
import { newerSpan, newerThanSpan, olderSpan, spanAround, spanMessages, spanThroughNewest, type Span } from '../store/span';

/**
 * The chat page's span of held messages (src/store/span.ts) as React state: `msgs`, what the list is
 * built from; `older`, the list's onLoadOlder (a wider span while more is held, else a page from the
 * server, which the span then takes in); `reach`, to hold a jump's target; `detached` while the span
 * ends before the newest (after a deep jump), with `newer` to widen it towards the newest and `latest`
 * to go back there. Pinned, it grows with the messages that arrive while the page is open, which is what
 * a visit costs, not the chat's length; detached, a live message leaves `msgs` as they were.
 */
export function useMessageSpan(sessionId: string, held: SessionMessages | undefined) {
  const [span, setSpan] = useState<Span>({});
  const current = useRef(span);
  current.current = span;
  // The same array while the span's messages are: a live message past a detached span changes nothing
  // built from it (the timeline's items, the cards' context).
  const msgs = useSameElements(useMemo(() => (held ? spanMessages(held, span) : []), [held, span]));
  const detached = held !== undefined && newerThanSpan(held, span) > 0;
  // The same as `msgs` while pinned; detached, it takes the messages past the span too (each live one
  // then costs their number, not a render).
  const throughNewest = useMemo(() => (held && detached ? spanThroughNewest(held, span) : msgs), [held, span, detached, msgs]);
  // Pinned where it starts once there are messages, and again when that first message is no longer held
  // (purged, or the session dropped and taken back): live ones then join the span without pushing its
  // oldest out from under a reader who scrolled up (the list's window would shrink and move).
  const pinned = msgs[0]?.idClient;
  const fromHeld = span.from !== undefined && held?.byId.has(span.from) === true;
  useEffect(() => {
    if (!fromHeld && pinned !== undefined) setSpan((s) => (s.from === pinned ? s : { ...s, from: pinned }));
  }, [fromHeld, pinned]);

  // The list reads the items it was given once `older` or `newer` resolves: it resolves after the render
  // that committed a new span (the list renders before its page's effects run), not after an earlier one
  // a live message brought first. Every span set after the request is as wide or wider (a jump's), or
  // the newest one (back to the newest).
  const widening = useRef<Array<() => void>>([]);
  useEffect(() => {
    const due = widening.current;
    widening.current = [];
    for (const done of due) done();
  }, [span]);
  const widen = useCallback(
    (to: Span) =>
      to.from === current.current.from && to.to === current.current.to
        ? Promise.resolve()
        : new Promise<void>((done) => {
            widening.current.push(done);
            setSpan(to);
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
    if (oldest && oldest.idClient !== before?.order.at(0)?.idClient) await widen({ ...current.current, from: oldest.idClient });
    return more;
  }, [sessionId, widen]);

  // Everything newer than a detached span is held (a jump loads the pages from its target on up).
  const newer = useCallback(async (): Promise<void> => {
    const now = chatStore.getState().messages.get(sessionId);
    const next = now && newerSpan(now, current.current);
    if (next) await widen(next);
  }, [sessionId, widen]);

  const reach = useCallback(
    (target: Message) => {
      const now = chatStore.getState().messages.get(sessionId);
      const to = now && spanAround(now, current.current, target);
      if (to) setSpan(to);
    },
    [sessionId],
  );

  /** Back to the newest SPAN.size, when detached: a pinned span keeps what the reader scrolled through. */
  const latest = useCallback(() => {
    const now = chatStore.getState().messages.get(sessionId);
    if (now && newerThanSpan(now, current.current) > 0) setSpan({});
  }, [sessionId]);

  // One's own new message brings the list back to the newest (MessageList follows it there): a message
  // being sent is one's own, and only a new newest acts, not one left unsent when the reader jumped.
  // Pinned in the render that brings it, while it is still being sent: the list follows it only then.
  const newest = held?.order.at(held.order.length - 1);
  const sending = newest?.status === 'sending' ? newest.idClient : undefined;
  const [sent, setSent] = useState(sending);
  if (sending !== sent) {
    setSent(sending);
    if (sending !== undefined && detached) setSpan({});
  }

  return { msgs, throughNewest, older, newer, reach, latest, detached };
}
