/**
 * Taro components rendered by @tarojs/test-utils-react in jsdom (Taro's H5 component library).
 */
import { act, fireEvent as untypedFireEvent, render } from '@tarojs/test-utils-react/dist/pure';
import type { Message } from '../../types/message';
import { InputBar } from '../../src/components/InputBar';
import { MessageList } from '../../src/components/MessageList';
import { buildTimeline } from '../../src/render/timeline';

const base: Message = {
  scene: 'team',
  sessionId: 'team-c1',
  from: 'doctor-zhang',
  fromNick: '张医生',
  to: 'c1',
  type: 'text',
  body: '',
  idClient: 'x',
  time: new Date(2026, 10, 21, 9, 0).getTime(),
  status: 'read',
};

// The package types fireEvent without its event helpers; these are the ones used here.
const fireEvent = untypedFireEvent as unknown as {
  click(el: Element): void;
  input(el: Element, init: { target: { value: string } }): void;
};

const flush = () => act(() => new Promise((r) => setTimeout(r, 0)));

/** Taro's Stencil components render their inner elements asynchronously after mount. */
async function hydrated(container: Element, selector: string): Promise<Element> {
  for (let i = 0; i < 100; i++) {
    const el = container.querySelector(selector);
    if (el) return el;
    await act(() => new Promise((r) => setTimeout(r, 20)));
  }
  throw new Error(`${selector} never rendered`);
}

describe('MessageList', () => {
  const msgs: Message[] = [
    { ...base, idClient: 'a1', seq: 1, body: '您好，请问哪里不舒服？' },
    { ...base, idClient: 'a2', seq: 2, from: 'patient-li', body: '头痛', status: 'sent', time: base.time + 60_000 },
    {
      ...base,
      idClient: 'a3',
      from: 'patient-li',
      body: '<img src=x onerror=alert(1)>',
      status: 'sendFailed',
      error: '网络已断开，请检查网络',
      time: base.time + 10 * 60_000,
    },
  ];

  test('renders both sides, one time header per gap, statuses, and text without HTML', async () => {
    const onResend = jest.fn();
    const items = buildTimeline(msgs, 'patient-li', base.time + 11 * 60_000, { 'doctor-zhang': 2 });
    const { container } = render(<MessageList items={items} onResend={onResend} />, {});
    await flush();
    expect([...container.querySelectorAll('.time-header')].map((e) => e.textContent)).toEqual(['09:00', '09:10']);
    expect(container.querySelectorAll('.msg-row.theirs')).toHaveLength(1);
    expect(container.querySelectorAll('.msg-row.mine')).toHaveLength(2);
    const texts = [...container.querySelectorAll('.msg-text')].map((e) => e.textContent);
    expect(texts).toEqual(['您好，请问哪里不舒服？', '头痛', '<img src=x onerror=alert(1)>']);
    expect(container.querySelector('img')).toBeNull();
    const statuses = [...container.querySelectorAll('.msg-status')].map((e) => e.textContent);
    expect(statuses).toEqual(['已读', '网络已断开，请检查网络，点击重发']);

    await tap(container.querySelector('.msg-failed') as Element);
    expect(onResend).toHaveBeenCalledWith('a3');
  });
});

async function tap(el: Element): Promise<void> {
  await act(async () => {
    fireEvent.click(el);
  });
}

async function type(input: HTMLInputElement, value: string): Promise<void> {
  await act(async () => {
    input.value = value;
    fireEvent.input(input, { target: { value } });
  });
}

describe('InputBar', () => {
  test('sends trimmed-or-not text once, clears the field, and ignores blank input', async () => {
    const onSend = jest.fn();
    const { container } = render(<InputBar onSend={onSend} placeholder='请描述您的症状' />, {});
    await flush();
    const input = (await hydrated(container, '.input-field input')) as HTMLInputElement;
    const button = container.querySelector('.input-send') as Element;
    expect(input.getAttribute('placeholder')).toBe('请描述您的症状');

    await tap(button);
    expect(onSend).not.toHaveBeenCalled();

    await type(input, '   ');
    await tap(button);
    expect(onSend).not.toHaveBeenCalled();

    await type(input, '我发烧了');
    await flush();
    await tap(button);
    expect(onSend).toHaveBeenCalledTimes(1);
    expect(onSend).toHaveBeenCalledWith('我发烧了');
    await flush();
    expect((container.querySelector('.input-field input') as HTMLInputElement).value).toBe('');
  });
});
