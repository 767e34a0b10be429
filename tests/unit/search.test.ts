import type { Message } from '../../types/message';
import { recalledView } from '../../types/message';
import { hitLine, matches, mergeHits, normalizeQuery, searchHeld } from '../../src/render/search';

let n = 0;
function m(over: Partial<Message>): Message {
  n += 1;
  return {
    scene: 'p2p',
    sessionId: 'p2p-d1',
    from: 'd1',
    to: 'p1',
    type: 'text',
    body: '',
    idClient: `s-${n}`,
    seq: n,
    time: 1_700_000_000_000 + n * 1000,
    status: 'read',
    ...over,
  };
}

test('text matches bodies case-insensitively, card titles and file names; types filter', () => {
  const text = m({ body: '请按时服用 Aspirin' });
  const card = m({ type: 'custom', attach: { card: 'labRequest', items: ['肝功能'], reason: '复查' } });
  const file = m({ type: 'file', attach: { name: '血常规报告.pdf' } });
  const image = m({ type: 'image', attach: { url: 'x' } });
  const q = (query: string, types: Message['type'][] = []) => [text, card, file, image].filter((x) => matches(x, { text: query, types }));
  expect(q('aspirin')).toEqual([text]);
  expect(q('检查申请')).toEqual([card]);
  expect(q('血常规')).toEqual([file]);
  expect(q('', ['image'])).toEqual([image]);
  expect(q('血常规', ['image'])).toEqual([]);
});

test('recalled messages, system lines and unsent ones are never hits; held hits come newest first', () => {
  const a = m({ body: '复诊时间' });
  const b = m({ body: '复诊改到周五' });
  const recalled = recalledView(m({ body: '复诊取消' }), 'p1');
  const tip = m({ type: 'tip', body: '复诊提醒已发送' });
  const pending = m({ body: '复诊？', seq: undefined, status: 'sending' });
  expect(searchHeld([a, b, recalled, tip, pending], { text: '复诊', types: [] })).toEqual([b, a]);
});

test('the result line shows the match with some context, cut on characters', () => {
  const long = m({ body: `${'前'.repeat(30)}关键词${'后'.repeat(30)}` });
  const line = hitLine(long, '关键词');
  expect(line.startsWith('…')).toBe(true);
  expect(line.endsWith('…')).toBe(true);
  expect(line).toContain('关键词');
  expect([...line].length).toBeLessThan(40);
  expect(hitLine(m({ body: '短句' }), '短')).toBe('短句');
  expect(hitLine(m({ type: 'image' }), '')).toBe('[图片]');
});

test('held and server hits merge into one list, each message once, newest first', () => {
  const a = m({ body: 'a' });
  const b = m({ body: 'b' });
  const c = m({ body: 'c' });
  expect(mergeHits([c, a], [c, b]).map((x) => x.idClient)).toEqual([c.idClient, b.idClient, a.idClient]);
});

test('a query is trimmed and cut to the server’s limit; nothing to look for is no query', () => {
  expect(normalizeQuery({ text: '  ', types: [] })).toBeUndefined();
  expect(normalizeQuery({ text: '  ', types: ['image'] })).toEqual({ text: '', types: ['image'] });
  expect([...(normalizeQuery({ text: '字'.repeat(500), types: [] })?.text ?? '')]).toHaveLength(100);
});
