/**
 * Taro components rendered by @tarojs/test-utils-react in jsdom (Taro's H5 component library).
 */
import { act, fireEvent as untypedFireEvent, render } from '@tarojs/test-utils-react/dist/pure';
import type { Message } from '../../types/message';
import { MessageList } from '../../src/components/MessageList';
import { buildTimeline } from '../../src/render/timeline';
import { HeldInputBar } from './composer-harness';
import { baseMessage } from './message-fixture';
import { hydrated } from './hydrated';

const base = baseMessage;

// The package types fireEvent without its event helpers; these are the ones used here.
const fireEvent = untypedFireEvent as unknown as {
  click(el: Element): void;
  input(el: Element, init: { target: { value: string } }): void;
};

const flush = () => act(() => new Promise((r) => setTimeout(r, 0)));


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
    const { container } = render(<HeldInputBar onSend={onSend} placeholder='请描述您的症状' />, {});
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

describe('bubbles per type', () => {
  test('image box from known size, voice duration, file name/size/badge, location, card fields, unknown card fallback', async () => {
    const msgs: Message[] = [
      { ...base, idClient: 'i1', seq: 1, type: 'image', attach: { url: '/api/files/1?v=orig', thumbUrl: '/api/files/1?v=thumb', w: 640, h: 480 } },
      { ...base, idClient: 'v1', seq: 2, type: 'audio', attach: { url: '/api/files/2', dur: 3_400 } },
      { ...base, idClient: 'f1', seq: 3, type: 'file', attach: { url: '/api/files/3', name: '血常规.pdf', size: 12_700, ext: 'pdf' } },
      { ...base, idClient: 'g1', seq: 4, type: 'geo', attach: { lat: 30.27, lng: 120.16, title: '门诊楼' } },
      {
        ...base,
        idClient: 'c1',
        seq: 5,
        type: 'custom',
        attach: { card: 'labRequest', items: ['血常规'], reason: '排除感染', doctor: '张医生', issuedAt: base.time },
      },
      { ...base, idClient: 'c2', seq: 6, type: 'custom', attach: { card: 'vaccinePass' } },
      { ...base, idClient: 'e1', seq: 7, body: '谢谢[谢谢]' },
    ];
    const items = buildTimeline(msgs, 'patient-li', base.time, {});
    const { container } = render(<MessageList items={items} onResend={jest.fn()} />, {});
    await flush();
    const box = (await hydrated(container, '.msg-image')) as HTMLElement;
    // 640×480 fits 360×270 design px; Taro turns design px into rem on H5.
    expect(box.style.width).not.toBe('');
    expect(parseFloat(box.style.width) / parseFloat(box.style.height)).toBeCloseTo(4 / 3, 2);
    expect(container.querySelector('.msg-voice-dur')?.textContent).toBe('3"');
    expect(container.querySelector('.msg-file-name')?.textContent).toBe('血常规.pdf');
    expect(container.querySelector('.msg-file-size')?.textContent).toBe('12.4 KB');
    expect(container.querySelector('.msg-file-badge')?.textContent).toBe('PDF');
    expect(container.querySelector('.msg-geo-title')?.textContent).toContain('门诊楼');
    expect(container.querySelector('.msg-card-labRequest .msg-card-title')?.textContent).toBe('检查申请单');
    expect(container.querySelector('.msg-card-unknown')?.textContent).toContain('暂不支持');
    expect(container.querySelector('.msg-emoji')?.textContent).toBe('🙏');
  });
});
