/**
 * Every shape of scroll event the platforms deliver to the message list (issue 13): the position in
 * `detail` (mini programs, Taro's H5 component) or only on the element (the browser's own event, which
 * reaches the handler when Taro's component is gone), and events after the list has been left.
 */
import { act, render } from '@tarojs/test-utils-react/dist/pure';
import type { Message } from '../../types/message';
import { MessageList } from '../../src/components/MessageList';
import { scrollPosition } from '../../src/platform/scroll';
import { buildTimeline } from '../../src/render/timeline';
import { baseMessage } from './message-fixture';

const base = baseMessage;

const flush = () => act(() => new Promise((r) => setTimeout(r, 0)));

const messages = (n: number): Message[] =>
  Array.from({ length: n }, (_, i) => ({ ...base, idClient: `m${i}`, seq: i + 1, body: `第${i + 1}条`, time: base.time + i * 1000 }));

/** An element scrolled to `scrollTop` of `scrollHeight` (jsdom lays nothing out). */
function scrolledTo(el: Element, scrollTop: number, scrollHeight: number): Element {
  Object.defineProperty(el, 'scrollTop', { configurable: true, get: () => scrollTop, set: () => undefined });
  Object.defineProperty(el, 'scrollHeight', { configurable: true, get: () => scrollHeight });
  return el;
}

/** Errors thrown by event handlers, which jsdom reports on window instead of to the dispatcher. */
function uncaught(): { errors: unknown[]; stop: () => void } {
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    errors.push(e.error);
    e.preventDefault();
  };
  window.addEventListener('error', onError);
  return { errors, stop: () => window.removeEventListener('error', onError) };
}

describe('scrollPosition', () => {
  test('reads a mini program’s or Taro’s H5 event from its detail', () => {
    const mini = { type: 'scroll', detail: { scrollLeft: 0, scrollTop: 120, scrollHeight: 900, scrollWidth: 375, deltaX: 0, deltaY: -4 } };
    expect(scrollPosition(mini)).toEqual({ scrollTop: 120, scrollHeight: 900 });
    const h5 = new CustomEvent('scroll', { detail: { scrollLeft: 0, scrollTop: 40, scrollHeight: 600, scrollWidth: 375 } });
    expect(scrollPosition(h5)).toEqual({ scrollTop: 40, scrollHeight: 600 });
  });

  test('reads the browser’s own event from its element, and nothing from an element no longer shown', () => {
    const el = scrolledTo(document.body.appendChild(document.createElement('div')), 300, 2000);
    const seen: unknown[] = [];
    el.addEventListener('scroll', (e) => seen.push(scrollPosition(e)));
    el.dispatchEvent(new Event('scroll'));
    el.remove();
    el.dispatchEvent(new Event('scroll'));
    expect(seen).toEqual([{ scrollTop: 300, scrollHeight: 2000 }, undefined]);
    expect(scrollPosition(undefined)).toBeUndefined();
    expect(scrollPosition({ detail: null })).toBeUndefined();
  });
});

describe('MessageList scroll handling', () => {
  test('an event without detail moves the list off the bottom like one with it: new messages wait behind the button', async () => {
    const { container, rerender } = render(<MessageList items={buildTimeline(messages(20), 'patient-li', base.time)} onResend={jest.fn()} />, {});
    await flush();
    const list = scrolledTo(container.querySelector('#msg-list') as Element, 0, 5000);
    // A CustomEvent with no detail: Taro's component lets custom events through to the handler as they are.
    await act(async () => void list.dispatchEvent(new CustomEvent('scroll', { detail: null })));
    rerender(<MessageList items={buildTimeline(messages(21), 'patient-li', base.time)} onResend={jest.fn()} />);
    await flush();
    expect(container.querySelector('.msg-new')?.textContent).toBe('1条新消息 ↓');
  });

  test('a scroll event after the list is gone (its page was left) throws nothing', async () => {
    const { container, unmount } = render(<MessageList items={buildTimeline(messages(20), 'patient-li', base.time)} onResend={jest.fn()} />, {});
    await flush();
    const list = container.querySelector('#msg-list') as Element;
    unmount();
    const { errors, stop } = uncaught();
    try {
      list.dispatchEvent(new Event('scroll'));
      list.dispatchEvent(new CustomEvent('scroll', { detail: null }));
      expect(errors).toEqual([]);
    } finally {
      stop();
    }
  });
});
