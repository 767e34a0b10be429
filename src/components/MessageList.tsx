import { ScrollView, Text, View } from '@tarojs/components';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Message } from '../../types/message';
import { measureRect } from '../platform/measure';
import { scrollPosition } from '../platform/scroll';
import type { QuoteView, TimelineItem } from '../render/timeline';
import { itemDomId, keptKeyFrom } from '../render/timeline';
import type { ListWindow } from '../render/window';
import { afterAppend, around, extendDown, extendUp, freeze, initialWindow, windowRange } from '../render/window';
import { MessageBubble } from './MessageBubble';

interface Props {
  items: TimelineItem[];
  showNick?: boolean;
  onResend: (idClient: string) => void;
  /** Loads the page before the oldest message held; resolves false when there is nothing older. */
  onLoadOlder?: () => Promise<boolean>;
  onLongPress?: (msg: Message) => void;
  /** Puts the text of one's own recalled message back into the input. */
  onReedit?: (text: string) => void;
  /** A reply's quote was tapped (the page loads what is needed, then sets `jumpTo`). */
  onQuoteTap?: (quote: QuoteView) => void;
  /** Scrolls to this item once it is in `items`; a new object for every jump. */
  jumpTo?: { key: string };
  /**
   * `items` end before the newest message (the page built them around a jump far back): their end is not
   * the bottom, reaching it asks for newer items, and 回到最新 goes back to the newest.
   */
  detached?: boolean;
  /** Brings newer items into a detached list; resolves once they are in `items`. */
  onLoadNewer?: () => Promise<void>;
  /** 回到最新 or one's own new message: the page's items go back to ending at the newest. */
  onLatest?: () => void;
}

const LIST_ID = 'msg-list';
/** Closer than this to the end counts as "at the bottom": new messages then scroll into view. */
const NEAR_BOTTOM_PX = 80;
const PAST_THE_END = 10_000_000;
/**
 * After a jump, how long the list's edges are not acted on. Moving the window shrinks the content under
 * a view scrolled to its old end; the platform clamps the position there and reports the end reached,
 * which would slide the window back down before the jump's own scroll lands.
 */
const JUMP_SETTLE_MS = 300;
/** No scroll event for this long: the reader has stopped scrolling where the last one said. */
const SCROLL_REST_MS = 150;

/**
 * One item of the list. Memoised: the timeline keeps an unchanged message's item object (TimelineCache),
 * so a new message renders its own bubble, not the hundred in the window again.
 */
const Item = memo(function Item({ item, flash, ...p }: { item: TimelineItem; flash: boolean } & Omit<Props, 'items' | 'onLoadOlder' | 'jumpTo' | 'detached' | 'onLoadNewer' | 'onLatest'>) {
  if (item.kind === 'time') {
    return (
      <View className='time-header' id={itemDomId(item.key)}>
        <Text>{item.label}</Text>
      </View>
    );
  }
  if (item.kind === 'tip') {
    return (
      <View className='msg-tip' id={itemDomId(item.key)}>
        <Text>{item.text}</Text>
        {item.reedit !== undefined && (
          <Text className='msg-reedit' onClick={() => p.onReedit?.(item.reedit as string)}>
            重新编辑
          </Text>
        )}
      </View>
    );
  }
  return (
    <MessageBubble
      msg={item.msg}
      mine={item.mine}
      read={item.read}
      receipt={item.receipt}
      quote={item.quote}
      flash={flash}
      onQuoteTap={p.onQuoteTap}
      showNick={p.showNick}
      onResend={p.onResend}
      onLongPress={p.onLongPress}
    />
  );
});

/**
 * The chat timeline, windowed (render/window.ts): a 10,000-message chat renders about a hundred items.
 * At the bottom it follows new messages; scrolled up, they wait behind a "new messages" button. When
 * the window moves or older history comes in, the item at its edge is measured before and after and
 * the scroll position corrected by the difference, so what the reader looks at does not move. Detached
 * (after a jump far back), newer items come in below as the reader scrolls down, and 回到最新 is offered.
 * Memoised: the page renders for changes the list does not show (typing, presence, messages past a
 * detached span), and every render writes the scroll position prop to the H5 list again.
 */
export const MessageList = memo(function MessageList({ items, onLoadOlder, jumpTo, detached = false, onLoadNewer, onLatest, ...itemProps }: Props) {
  const keys = useMemo(() => items.map((i) => i.key), [items]);
  const [win, setWin] = useState<ListWindow>(initialWindow);
  const [atBottom, setAtBottom] = useState(true);
  const [seenKey, setSeenKey] = useState<string>();
  const [scrollTop, setScrollTop] = useState<number>();
  const scrolled = useRef(0);
  const viewport = useRef(0);
  const anchor = useRef<{ id: string; top: number }>();
  const busy = useRef(false);
  /** The oldest key when an older page was asked for, until the page is in: the anchor waits for it. */
  const pageFrom = useRef<string>();
  /** The oldest item's key, for a page load to tell whether it brought any. */
  const oldestKey = useRef<string>();
  oldestKey.current = keys[0];

  // New messages at the end grow a following window within this render (render/window.ts
  // afterAppend), so the oldest item is not dropped and re-added around them.
  const [newestSeen, setNewestSeen] = useState<string>();
  const newestKey = keys[keys.length - 1];
  if (newestKey !== newestSeen) {
    setNewestSeen(newestKey);
    const at = newestSeen === undefined ? -1 : keys.lastIndexOf(newestSeen);
    if (at >= 0) setWin((w) => afterAppend(w, keys.length - 1 - at));
  }

  const { start, end } = windowRange(keys, win);
  const following = win.endKey === undefined;
  const last = items[items.length - 1];
  // What the scroll handlers read. The platform's scroll view may call a handler made by an earlier
  // render, and a window move measures before it applies: both act on the list as it is by then.
  const latest = useRef({ keys, items, start, end, atBottom, following, detached });
  latest.current = { keys, items, start, end, atBottom, following, detached };
  /** Bumped by a jump and by 回到最新: a move measured before one of them is dropped. */
  const moves = useRef(0);

  useEffect(() => {
    void measureRect(LIST_ID).then((r) => (viewport.current = r?.height ?? 0));
  }, []);

  useEffect(() => {
    if (atBottom && following) setSeenKey(newestKey);
  }, [atBottom, following, newestKey]);

  const jumpToNewest = useCallback(() => {
    moves.current++;
    onLatest?.();
    setWin(initialWindow());
    setAtBottom(true);
  }, [onLatest]);

  // One's own new message brings the list back to the bottom, as every chat app does.
  const ownPending = last?.kind === 'msg' && last.mine && last.msg.status === 'sending';
  useEffect(() => {
    if (ownPending) jumpToNewest();
  }, [ownPending, newestKey, jumpToNewest]);

  /** Notes where `key` is on screen; the next change of window or items corrects the scroll by its move. */
  const markAnchor = useCallback(async (key: string) => {
    const id = itemDomId(key);
    const rect = await measureRect(id);
    anchor.current = rect && { id, top: rect.top };
  }, []);

  /**
   * The scroll position prop set to where the reader is, before the list's window or items change.
   * Taro's H5 ScrollView writes the prop to the element on every render: left at the last position set,
   * the render would first take the reader back there, and the correction measured after it would be
   * right only if that scroll's event had come in before the measurement (it often has not).
   */
  const holdPlace = useCallback(() => setScrollTop(scrolled.current), []);

  /**
   * Moves the window (`next` of the keys and window as they are once measured) keeping `anchorKey`
   * (rendered before and after) where it is on screen; dropped if a jump came meanwhile.
   */
  const move = useCallback(
    async (next: (keys: readonly string[], w: ListWindow) => ListWindow, anchorKey: string) => {
      const at = moves.current;
      await markAnchor(anchorKey);
      if (moves.current !== at) {
        anchor.current = undefined;
        return;
      }
      holdPlace();
      setWin((w) => next(latest.current.keys, w));
    },
    [markAnchor, holdPlace],
  );

  // A jump: the window moves around the target, then the list scrolls it to the top of the view.
  const jumping = useRef<string>();
  const settling = useRef(false);
  const [flashKey, setFlashKey] = useState<string>();
  useEffect(() => {
    const next = jumpTo && around(keys, jumpTo.key);
    if (!jumpTo || !next) return;
    jumping.current = jumpTo.key;
    settling.current = true;
    moves.current++;
    anchor.current = undefined;
    setFlashKey(jumpTo.key);
    setAtBottom(false);
    setWin(next);
    // Only a new jump acts: the keys changing afterwards must not pull the list back.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jumpTo]);

  useEffect(() => {
    const target = jumping.current;
    if (target === undefined) return;
    jumping.current = undefined;
    const first = latest.current.keys[latest.current.start];
    void Promise.all([measureRect(LIST_ID), measureRect(itemDomId(target)), first === undefined ? undefined : measureRect(itemDomId(first))]).then(([list, rect, top]) => {
      setTimeout(() => (settling.current = false), list && rect ? JUMP_SETTLE_MS : 0);
      if (!list || !rect) return;
      // The target's place in the content, from the window's first item measured in the same layout:
      // the window just changed under the view, and the position its last scroll event reported may
      // be from before (the browser resets or clamps it a moment later).
      scrolled.current = Math.max(0, top ? rect.top - top.top - 16 : scrolled.current + rect.top - list.top - 16);
      // The same position twice would not reach the platform as a change: a pixel apart.
      setScrollTop((t) => (t === scrolled.current ? scrolled.current + 1 : scrolled.current));
    });
  }, [win]);

  useEffect(() => {
    // An older page just came in: bring it into the window first, then correct once for both. Until it
    // is in, other changes (the window freezing as the reader scrolls up) leave the anchor for it.
    if (pageFrom.current !== undefined) {
      if (keys[0] === pageFrom.current) return;
      pageFrom.current = undefined;
      const next = extendUp(keys, win);
      if (windowRange(keys, next).start < windowRange(keys, win).start) return void setWin(next);
    }
    const a = anchor.current;
    if (!a) return;
    anchor.current = undefined;
    void measureRect(a.id).then((rect) => {
      if (!rect || Math.abs(rect.top - a.top) < 0.5) return;
      scrolled.current += rect.top - a.top;
      setScrollTop(scrolled.current);
    });
  }, [win, keys]);

  const onReachTop = useCallback(async () => {
    const { keys, items, start } = latest.current;
    if (busy.current || settling.current || !keys.length) return;
    busy.current = true;
    try {
      const kept = keptKeyFrom(items, start) as string;
      if (start > 0) return await move(extendUp, kept);
      if (!onLoadOlder) return;
      const at = moves.current;
      await markAnchor(kept);
      pageFrom.current = keys[0];
      holdPlace();
      await onLoadOlder();
      // Nothing older came, or a jump moved the list meanwhile: nothing to keep in place.
      if (oldestKey.current === keys[0] || moves.current !== at) {
        anchor.current = undefined;
        pageFrom.current = undefined;
      }
    } finally {
      busy.current = false;
    }
  }, [onLoadOlder, move, markAnchor, holdPlace]);

  const onReachBottom = useCallback(async () => {
    const { keys, end, detached } = latest.current;
    if (settling.current) return;
    if (end < keys.length) return void move(extendDown, keys[end - 1]);
    if (!detached || !onLoadNewer || busy.current || !keys.length) return;
    busy.current = true;
    try {
      const at = moves.current;
      holdPlace();
      // A window following the end of detached items would take the newer ones in as new messages
      // (afterAppend), shedding its oldest from under the reader: it stays where it is, then moves down.
      setWin((w) => freeze(latest.current.keys, w));
      await onLoadNewer();
      if (moves.current === at) await move(extendDown, keys[end - 1]);
    } finally {
      busy.current = false;
    }
  }, [move, onLoadNewer, holdPlace]);

  // Taro's H5 components leave their handlers on the element after unmount, and a scroll event can
  // arrive as the page goes: from then on it has nothing to update.
  const left = useRef(false);
  useEffect(
    () => () => {
      left.current = true;
    },
    [],
  );

  // Where the reader stopped becomes the scroll position prop: Taro's H5 ScrollView writes the prop to
  // the element on every render, and a render for a new message or a receipt would otherwise take a
  // reader who scrolled again since the last position set back there. Set at rest, not on every event:
  // a mini program's scroll view stops a fling when its position is set.
  const resting = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(resting.current), []);

  const onScroll = useCallback(
    (e: unknown) => {
      const at = scrollPosition(e);
      if (!at || left.current) return;
      const { keys, end, atBottom, following, detached } = latest.current;
      scrolled.current = at.scrollTop;
      clearTimeout(resting.current);
      resting.current = setTimeout(() => setScrollTop(scrolled.current), SCROLL_REST_MS);
      const bottom = !detached && end === keys.length && at.scrollHeight - at.scrollTop - viewport.current < NEAR_BOTTOM_PX;
      if (bottom === atBottom) return;
      setAtBottom(bottom);
      // The list stops being pinned to its end: its scroll position prop takes over from here.
      if (!bottom) setScrollTop(at.scrollTop);
      // Scrolled up: the window stops following, so arriving messages do not shift what is read.
      if (!bottom && following) setWin((w) => freeze(latest.current.keys, w));
    },
    [],
  );

  const seenAt = seenKey === undefined ? -1 : keys.lastIndexOf(seenKey);
  const unseen = useMemo(
    () => items.slice(seenAt + 1).filter((i) => i.kind === 'msg' && !i.mine).length,
    [items, seenAt],
  );
  const stick = atBottom && following && last !== undefined;
  // Pinned to the end: a scroll position past the end after every change (the platforms clamp it).
  // It alternates by a pixel so the prop changes each time; scroll-into-view would only act on a
  // new last item, not on pages loaded above.
  const [pin, setPin] = useState(0);
  useEffect(() => {
    if (stick) setPin((p) => (p + 1) % 2);
  }, [stick, keys]);

  return (
    <View className='msg-list-wrap'>
      <ScrollView
        id={LIST_ID}
        className='msg-list'
        scrollY
        scrollTop={stick ? PAST_THE_END + pin : scrollTop}
        upperThreshold={120}
        lowerThreshold={120}
        onScrollToUpper={() => void onReachTop()}
        onScrollToLower={() => void onReachBottom()}
        onScroll={onScroll}
      >
        {items.slice(start, end).map((item) => (
          <Item key={item.key} item={item} flash={item.key === flashKey} {...itemProps} />
        ))}
        <View className='msg-list-end' />
      </ScrollView>
      {!stick && (detached || unseen > 0) && (
        <View className='msg-new' onClick={jumpToNewest}>
          {/* Detached, the items hold none of the newer messages to count. */}
          <Text>{detached ? '回到最新 ↓' : `${unseen}条新消息 ↓`}</Text>
        </View>
      )}
    </View>
  );
});
