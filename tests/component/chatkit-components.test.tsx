/** The chat kit's parts of the list and the composer, rendered with Taro's H5 components in jsdom. */
import { Input } from '@tarojs/components';
import { act, fireEvent as untypedFireEvent, render } from '@tarojs/test-utils-react/dist/pure';
import type { Message } from '../../types/message';
import { recalledView } from '../../types/message';
import type * as BubbleModule from '../../src/components/MessageBubble';
import { MessageList } from '../../src/components/MessageList';
import { SearchHits } from '../../src/components/SearchPanel';
import { useSearch } from '../../src/components/useSearch';
import { buildTimeline, TimelineCache } from '../../src/render/timeline';
import { HeldInputBar } from './composer-harness';
import { baseMessage as base } from './message-fixture';
import { hydrated } from './hydrated';

// The real bubble, counted: a test below checks which bubbles a new message renders again.
const mockBubbleRenders = new Map<string, number>();
jest.mock('../../src/components/MessageBubble', () => {
  const real = jest.requireActual('../../src/components/MessageBubble') as typeof BubbleModule;
  return {
    ...real,
    MessageBubble: (props: Parameters<typeof real.MessageBubble>[0]) => {
      mockBubbleRenders.set(props.msg.idClient, (mockBubbleRenders.get(props.msg.idClient) ?? 0) + 1);
      return real.MessageBubble(props);
    },
  };
});

const fireEvent = untypedFireEvent as unknown as {
  click(el: Element): void;
  input(el: Element, init: { target: { value: string } }): void;
};
const flush = () => act(() => new Promise((r) => setTimeout(r, 0)));
const tap = (el: Element) => act(async () => fireEvent.click(el));


const original: Message = { ...base, idClient: 'q1', seq: 1, body: '每天早晚各一次' };
const quote = { idClient: 'q1', seq: 1, from: original.from, fromNick: '张医生', type: 'text' as const, excerpt: '每天早晚各一次' };
const reply: Message = { ...base, idClient: 'q2', seq: 2, from: 'patient-li', body: '饭前吗？', status: 'sent', quote };

test('a reply shows who and what it quotes above the bubble; tapping the quote asks to jump there', async () => {
  const onQuoteTap = jest.fn();
  const items = buildTimeline([original, reply], 'patient-li', base.time, { 'doctor-zhang': 0 }, 2);
  const { container } = render(<MessageList items={items} onResend={jest.fn()} onQuoteTap={onQuoteTap} />, {});
  await flush();
  const q = (await hydrated(container, '#m-q2 .msg-quote')) as Element;
  expect(q.textContent).toBe('张医生：每天早晚各一次');
  expect(container.querySelector('#m-q2 .msg-status')?.textContent).toBe('已送达');
  await tap(q);
  expect(onQuoteTap).toHaveBeenCalledWith(expect.objectContaining({ idClient: 'q1', seq: 1 }));
});

test('a reply to a recalled message says so and does not jump', async () => {
  const onQuoteTap = jest.fn();
  const items = buildTimeline([recalledView(original, 'patient-li'), reply], 'patient-li', base.time);
  const { container } = render(<MessageList items={items} onResend={jest.fn()} onQuoteTap={onQuoteTap} />, {});
  await flush();
  const q = (await hydrated(container, '#m-q2 .msg-quote')) as Element;
  expect(q.textContent).toBe('引用的消息已撤回');
  await tap(q);
  expect(onQuoteTap).not.toHaveBeenCalled();
});

test('the composer shows the quoted line with a cancel, and reports what the person types', async () => {
  const onCancelQuote = jest.fn();
  const onTextChange = jest.fn();
  const { container } = render(<HeldInputBar onSend={jest.fn()} quote='张医生：每天早晚各一次' onCancelQuote={onCancelQuote} onTextChange={onTextChange} initial='草稿' />, {});
  await flush();
  expect(container.querySelector('.composer-quote-text')?.textContent).toBe('引用 张医生：每天早晚各一次');
  const input = (await hydrated(container, '.input-field input')) as HTMLInputElement;
  await flush();
  expect(input.value).toBe('草稿');
  await act(async () => {
    input.value = '草稿改了';
    fireEvent.input(input, { target: { value: '草稿改了' } });
  });
  expect(onTextChange).toHaveBeenLastCalledWith('草稿改了');
  await tap(container.querySelector('.composer-quote-cancel') as Element);
  expect(onCancelQuote).toHaveBeenCalled();
});

test('the messages held are listed for a search only while there is a query: new messages cost no walk over them', async () => {
  function Box({ held }: { held: () => readonly Message[] }) {
    const search = useSearch('team-c1', held);
    return (
      <>
        {/* SearchBar's own Input asks for focus, which Taro's H5 Input cannot take in jsdom. */}
        <Input className='search-input' value={search.text} onInput={(e) => search.setText(e.detail.value)} />
        <SearchHits search={search} onPick={jest.fn()} />
      </>
    );
  }
  const first = jest.fn(() => [original]);
  const { container, rerender } = render(<Box held={first} />, {});
  await flush();
  // A new message: the page hands over a new list of what it holds.
  const second = jest.fn(() => [original, reply]);
  rerender(<Box held={second} />);
  await flush();
  expect(first).not.toHaveBeenCalled();
  expect(second).not.toHaveBeenCalled();
  const input = (await hydrated(container, '.search-input input')) as HTMLInputElement;
  await act(async () => {
    input.value = '饭前';
    fireEvent.input(input, { target: { value: '饭前' } });
  });
  await flush();
  expect(second).toHaveBeenCalled();
  expect([...container.querySelectorAll('.search-hit-line')].map((e) => e.textContent)).toEqual(['饭前吗？']);
});

test('a new message renders its own bubble; the bubbles already in the list are not rendered again', async () => {
  const cache = new TimelineCache();
  const held = [original, reply];
  const build = (msgs: Message[]) => buildTimeline(msgs, 'patient-li', base.time, { 'doctor-zhang': 0 }, 2, cache);
  const props = { onResend: jest.fn(), onQuoteTap: jest.fn() };
  const { container, rerender } = render(<MessageList items={build(held)} {...props} />, {});
  await hydrated(container, '#m-q2');
  mockBubbleRenders.clear();
  const next: Message = { ...base, idClient: 'q3', seq: 3, body: '好的' };
  rerender(<MessageList items={build([...held, next])} {...props} />);
  await hydrated(container, '#m-q3');
  expect(mockBubbleRenders.get('q3')).toBeGreaterThan(0);
  expect(mockBubbleRenders.has('q1')).toBe(false);
  expect(mockBubbleRenders.has('q2')).toBe(false);
});
