import type { Message } from '../../types/message';
import { recalledView, RECALL_WINDOW_MS } from '../../types/message';
import { presenceText } from '../../src/render/time';
import { buildTimeline, itemDomId, keptKeyFrom, messageActions, previewOf, QUOTE_RECALLED_TEXT, TimelineCache } from '../../src/render/timeline';

const ME = 'patient-li';
const base: Message = {
  scene: 'team',
  sessionId: 'team-c1',
  from: ME,
  fromNick: '李女士',
  to: 'c1',
  type: 'text',
  body: '您好',
  idClient: 'render-0001',
  seq: 1,
  time: 1_700_000_000_000,
  status: 'sent',
};
const at = (over: Partial<Message>): Message => ({ ...base, ...over });

describe('timeline', () => {
  test('the item a page loaded above keeps in place is a message, not the time header older messages can remove', () => {
    const held = [at({ idClient: 'm3', seq: 3, time: base.time + 60_000 }), at({ idClient: 'm4', seq: 4, time: base.time + 120_000 })];
    const before = buildTimeline(held, ME, base.time);
    expect(before[0]).toMatchObject({ kind: 'time', key: 't-m3' });
    expect(keptKeyFrom(before, 0)).toBe('m3');
    // The page before brings a message a minute earlier: the header above m3 is gone, m3 is not.
    const after = buildTimeline([at({ idClient: 'm2', seq: 2 }), ...held], ME, base.time).map((i) => i.key);
    expect(after).not.toContain('t-m3');
    expect(after).toContain(keptKeyFrom(before, 0));
  });

  test('a recalled own text becomes a tip with re-edit; a recall notice is not shown at all', () => {
    const recalled = recalledView(at({ body: '写错了' }), ME);
    const notice = at({
      seq: 2,
      type: 'notification',
      body: '',
      idClient: 'recall:render-0001',
      attach: { recall: { idClient: 'render-0001', by: ME } },
    });
    const items = buildTimeline([recalled, notice], ME, base.time);
    expect(items.filter((i) => i.kind !== 'time')).toEqual([
      { kind: 'tip', key: 'render-0001', text: '你撤回了一条消息', reedit: '写错了' },
    ]);
  });

  test('someone else’s recall names them and offers nothing to edit', () => {
    const theirs = recalledView(at({ from: 'doctor-zhang', fromNick: '张医生' }), ME);
    const [, tip] = buildTimeline([theirs], ME, base.time);
    expect(tip).toEqual({ kind: 'tip', key: 'render-0001', text: '张医生撤回了一条消息' });
  });

  test('receipts: 已读 with one counterpart, n人已读 and 全部已读 with several', () => {
    const mine = at({ seq: 5 });
    const receipt = (reads: Record<string, number>) => {
      const item = buildTimeline([mine], ME, base.time, reads)[1];
      return item.kind === 'msg' ? item.receipt : '';
    };
    expect(receipt({ 'doctor-zhang': 4 })).toBe('未读');
    expect(receipt({ 'doctor-zhang': 5 })).toBe('已读');
    expect(receipt({ 'doctor-zhang': 5, 'nurse-wang': 0 })).toBe('1人已读');
    expect(receipt({ 'doctor-zhang': 5, 'nurse-wang': 9 })).toBe('全部已读');
  });

  test('已送达 once the other side’s device has it, before 已读; never for a message not yet stored', () => {
    const receipt = (m: Message, reads: Record<string, number>, delivered: number) => {
      const item = buildTimeline([m], ME, base.time, reads, delivered)[1];
      return item.kind === 'msg' ? item.receipt : '';
    };
    expect(receipt(at({ seq: 5 }), { 'doctor-zhang': 4 }, 4)).toBe('未读');
    expect(receipt(at({ seq: 5 }), { 'doctor-zhang': 4 }, 5)).toBe('已送达');
    expect(receipt(at({ seq: 5 }), { 'doctor-zhang': 5 }, 5)).toBe('已读');
    expect(receipt(at({ seq: 5 }), { 'doctor-zhang': 5, 'nurse-wang': 0 }, 5)).toBe('1人已读');
    expect(receipt(at({ seq: undefined, status: 'sending' }), {}, 99)).toBe('未读');
  });

  test('a reply shows the server’s excerpt with the sender’s name; a recalled original shows as recalled', () => {
    const original = at({ from: 'doctor-zhang', fromNick: '张医生', body: '每天两次' });
    const quote = { idClient: original.idClient, seq: 1, from: 'doctor-zhang', fromNick: '张医生', type: 'text' as const, excerpt: '每天两次' };
    const reply = at({ idClient: 'render-0002', seq: 2, body: '饭前还是饭后？', quote });
    const quoted = (msgs: Message[]) => {
      const item = buildTimeline(msgs, ME, base.time).find((i) => i.key === 'render-0002');
      return item?.kind === 'msg' ? item.quote : undefined;
    };
    expect(quoted([original, reply])).toEqual({ idClient: original.idClient, seq: 1, name: '张医生', text: '每天两次', recalled: false });
    // Recalled since the reply was stored: the excerpt the reply carries is not shown any more.
    expect(quoted([recalledView(original, ME), reply])).toMatchObject({ text: QUOTE_RECALLED_TEXT, recalled: true });
    // The server says so (the original is not held here).
    expect(quoted([at({ ...reply, quote: { ...quote, excerpt: '', recalled: true } })])).toMatchObject({ text: QUOTE_RECALLED_TEXT });
    // Built from a span that starts after the original (the chat page): the held original still tells.
    const held = new Map([[original.idClient, recalledView(original, ME)]]);
    const fromSpan = buildTimeline([reply], ME, base.time, {}, 0, undefined, (id) => held.get(id)).find((i) => i.key === 'render-0002');
    expect(fromSpan).toMatchObject({ quote: { text: QUOTE_RECALLED_TEXT, recalled: true } });
    // One's own quoted message is "我".
    expect(quoted([at({ ...reply, quote: { ...quote, from: ME, fromNick: '李女士' } })])).toMatchObject({ name: '我' });
  });

  test('with a cache, a rebuild keeps the items of unchanged messages and remakes those whose receipt, quote or message changed', () => {
    const cache = new TimelineCache();
    const original = at({ from: 'doctor-zhang', fromNick: '张医生', body: '每天两次', time: base.time - 600_000 });
    const quote = { idClient: original.idClient, seq: 1, from: 'doctor-zhang', fromNick: '张医生', type: 'text' as const, excerpt: '每天两次' };
    const reply = at({ idClient: 'render-0002', seq: 2, body: '饭前？', quote });
    const mine = at({ idClient: 'render-0003', seq: 3, time: base.time + 600_000 });
    const first = buildTimeline([original, reply, mine], ME, base.time, { 'doctor-zhang': 2 }, 2, cache);
    const byKey = (items: typeof first) => new Map(items.map((i) => [i.key, i]));

    // A new message: every earlier item is the same object.
    const next = at({ idClient: 'render-0004', seq: 4, time: base.time + 660_000 });
    const second = byKey(buildTimeline([original, reply, mine, next], ME, base.time, { 'doctor-zhang': 2 }, 2, cache));
    for (const item of first) expect(second.get(item.key)).toBe(item);

    // The doctor reads up to 3: only the message whose receipt changed is a new item.
    const third = byKey(buildTimeline([original, reply, mine, next], ME, base.time, { 'doctor-zhang': 3 }, 3, cache));
    expect(third.get('render-0003')).not.toBe(second.get('render-0003'));
    expect(third.get('render-0003')).toMatchObject({ receipt: '已读' });
    expect(third.get('render-0002')).toBe(second.get('render-0002'));

    // The original is recalled: its own item and the reply's quote change, the reply's message did not.
    const fourth = byKey(buildTimeline([recalledView(original, 'doctor-zhang'), reply, mine, next], ME, base.time, { 'doctor-zhang': 3 }, 3, cache));
    expect(fourth.get(original.idClient)).toMatchObject({ kind: 'tip', text: '张医生撤回了一条消息' });
    expect(fourth.get('render-0002')).toMatchObject({ quote: { recalled: true, text: QUOTE_RECALLED_TEXT } });

    // The next day the headers say 昨天; the same cache on another account's page makes its own items.
    const tomorrow = byKey(buildTimeline([original, reply], ME, base.time + 86_400_000, {}, 0, cache));
    expect(tomorrow.get(`t-${original.idClient}`)).toMatchObject({ label: expect.stringMatching(/^昨天 /) });
    const doctors = byKey(buildTimeline([original, reply], 'doctor-zhang', base.time + 86_400_000, {}, 0, cache));
    expect(doctors.get(original.idClient)).toMatchObject({ mine: true });
  });

  test('the sessions list previews a recall instead of the recalled text', () => {
    expect(previewOf(recalledView(at({ body: '秘密' }), ME), ME)).toBe('你撤回了一条消息');
    expect(previewOf(at({ from: 'doctor-zhang', fromNick: '张医生', type: 'notification', attach: { recall: { idClient: 'x', by: 'doctor-zhang' } } }), ME)).toBe(
      '张医生撤回了一条消息',
    );
  });
});

describe('long-press actions', () => {
  test('own stored text within two minutes: copy, quote and recall; after that copy and quote', () => {
    expect(messageActions(base, ME, base.time + 1_000)).toEqual(['copy', 'quote', 'recall']);
    expect(messageActions(base, ME, base.time + RECALL_WINDOW_MS + 1)).toEqual(['copy', 'quote']);
  });

  test('a failed own message offers resend and delete, not recall or quote; others’ messages copy and quote', () => {
    expect(messageActions(at({ seq: undefined, status: 'sendFailed' }), ME, base.time)).toEqual(['copy', 'resend', 'delete']);
    expect(messageActions(at({ from: 'doctor-zhang' }), ME, base.time)).toEqual(['copy', 'quote']);
  });

  test('stored messages can be forwarded where there is somewhere to forward them; system lines cannot', () => {
    expect(messageActions(at({ from: 'doctor-zhang' }), ME, base.time, true)).toEqual(['copy', 'quote', 'forward']);
    expect(messageActions(at({ type: 'image', body: '' }), ME, base.time, true)).toEqual(['quote', 'forward', 'recall']);
    expect(messageActions(at({ seq: undefined, status: 'sendFailed' }), ME, base.time, true)).toEqual(['copy', 'resend', 'delete']);
    expect(messageActions(at({ type: 'tip', body: '医生已接诊', from: 'doctor-zhang' }), ME, base.time, true)).toEqual([]);
  });
});

test('list item ids are valid CSS selectors whatever the message id', () => {
  expect(itemDomId('consultation:c1:closed')).toBe('m-consultation_c1_closed');
  expect(itemDomId('lx0a-0001abc')).toBe('m-lx0a-0001abc');
  expect(itemDomId('recall:a.b#c 中')).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
});

test('presence: 医生在线, or 最近在线 with the time last seen (刚刚 within a minute)', () => {
  const now = new Date(2026, 11, 1, 15, 0).getTime();
  expect(presenceText({ online: true, lastSeen: now - 3_600_000 }, now)).toBe('医生在线');
  expect(presenceText({ online: false, lastSeen: now - 30_000 }, now)).toBe('最近在线 刚刚');
  expect(presenceText({ online: false, lastSeen: new Date(2026, 11, 1, 9, 5).getTime() }, now)).toBe('最近在线 09:05');
  expect(presenceText({ online: false, lastSeen: new Date(2026, 10, 30, 21, 30).getTime() }, now)).toBe('最近在线 昨天 21:30');
  expect(presenceText({ online: false }, now)).toBe('医生离线');
});
