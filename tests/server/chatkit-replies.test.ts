/**
 * Quote and reply on our server: the quote is made by the server from the stored original of the same
 * conversation, travels with push, sync and history, loses its words when the original is recalled,
 * and a reply that names anything else is refused with invalidReply.
 */
import Database from 'better-sqlite3';
import type { OutgoingMessage } from '../../types/message';
import { QUOTE_EXCERPT_MAX } from '../../types/message';
import type { PushFrame, ServerFrame } from '../../types/protocol';
import { consultationServerPerTest, doctor, patient, SESSION, stranger, TEAM } from '../helpers/consultation';
import { expectError } from '../helpers/ws-client';

const t = consultationServerPerTest({ strangerToo: true });
const { login } = t;

const msg = (idClient: string, over: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ scene: 'team', to: TEAM, type: 'text', body: '好的', idClient, ...over });
const pushedMsg = (idClient: string) => (f: ServerFrame): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.idClient === idClient;

test('a reply carries the server’s quote of the original (masked, cut to its length) on push, sync and history', async () => {
  const [d, p] = await login(doctor, patient);
  const long = `我想${'加微信'}问一下，${'🙂'.repeat(80)}`;
  const original = await p.request('send', { msg: msg('orig-text-1', { body: long }) });
  const pushed = p.waitFor(pushedMsg('reply-text-1'));
  // Whatever excerpt a client might send along is not part of the frame: only idClient and seq.
  await d.request('send', { msg: msg('reply-text-1', { body: '可以在这里问', replyTo: { idClient: 'orig-text-1', seq: original.seq } }) });
  const { quote } = (await pushed).msg;
  expect(quote).toMatchObject({ idClient: 'orig-text-1', seq: original.seq, from: patient.account, fromNick: patient.name, type: 'text' });
  expect(quote?.excerpt).not.toContain('加微信');
  expect(Array.from(quote?.excerpt ?? '')).toHaveLength(QUOTE_EXCERPT_MAX);
  expect(quote?.excerpt.startsWith('我想＊＊＊问一下')).toBe(true);
  const history = await p.request('history', { sessionId: SESSION, limit: 10 });
  expect(history.msgs.find((m) => m.idClient === 'reply-text-1')?.quote).toEqual(quote);
  const sync = await p.request('sync', { cursors: {} });
  expect(sync.msgs.find((m) => m.idClient === 'reply-text-1')?.quote).toEqual(quote);
  // Sealed at rest like the body: the quote column holds none of the words.
  const raw = new Database(t.server.dbPath, { readonly: true });
  const row = raw.prepare('SELECT quote FROM messages WHERE id_client = ?').get('reply-text-1') as { quote: string };
  raw.close();
  expect(row.quote).toMatch(/^enc1:/);
  expect(row.quote).not.toContain('问一下');
});

test('a card is quoted by its title, a location by its label', async () => {
  const [d, p] = await login(doctor, patient);
  const card = await d.request('send', { msg: msg('card-orig-1', { type: 'custom', body: '', attach: { card: 'summary', complaint: '咳嗽', diagnosis: '上呼吸道感染', advice: '多喝水' } }) });
  const geo = await p.request('send', { msg: msg('geo-orig-1', { type: 'geo', body: '', attach: { lat: 30.25, lng: 120.17, title: '皮肤科门诊 3 楼' } }) });
  await p.request('send', { msg: msg('reply-card-1', { body: '收到小结', replyTo: { idClient: 'card-orig-1', seq: card.seq } }) });
  await d.request('send', { msg: msg('reply-geo-1', { body: '到了吗', replyTo: { idClient: 'geo-orig-1', seq: geo.seq } }) });
  const { msgs } = await d.request('history', { sessionId: SESSION, limit: 10 });
  expect(msgs.find((m) => m.idClient === 'reply-card-1')?.quote).toMatchObject({ type: 'custom', excerpt: '[问诊小结]', from: doctor.account });
  expect(msgs.find((m) => m.idClient === 'reply-geo-1')?.quote).toMatchObject({ type: 'geo', excerpt: '[位置]' });
});

test('a reply naming a message of another conversation is refused, stored nowhere and pushed to nobody', async () => {
  const [d, p, s] = await login(doctor, patient, stranger);
  await p.request('send', { msg: msg('mine-msg-1', { body: '我的第一条' }) });
  const other = await s.request('send', { msg: { scene: 'team', to: 'c2', type: 'text', body: '另一位患者的病情', idClient: 'other-conv-1' } });
  expect(other.seq).toBe(1);
  // Seq 1 of this conversation is another message: the idClient does not agree.
  const message = await expectError(d.request('send', { msg: msg('leak-reply-1', { replyTo: { idClient: 'other-conv-1', seq: other.seq } }) }), 'invalidReply');
  expect(message).toContain('不在本会话');
  // A seq this conversation does not have yet, and a p2p reply naming a team message, likewise.
  await expectError(d.request('send', { msg: msg('leak-reply-2', { replyTo: { idClient: 'other-conv-1', seq: 50 } }) }), 'invalidReply');
  await expectError(
    d.request('send', { msg: { scene: 'p2p', to: patient.account, type: 'text', body: '私信', idClient: 'leak-reply-3', replyTo: { idClient: 'mine-msg-1', seq: 1 } } }),
    'invalidReply',
  );
  const history = await p.request('history', { sessionId: SESSION, limit: 10 });
  expect(history.msgs.map((m) => m.idClient)).toEqual(['mine-msg-1']);
  expect(p.pushes.filter((f) => f.type === 'msg')).toHaveLength(0);
});

test('a recalled original and a system line cannot be quoted; a malformed reference is a bad message', async () => {
  const [d, p] = await login(doctor, patient);
  const sent = await p.request('send', { msg: msg('recalled-orig-1', { body: '发错了' }) });
  const { notice } = await p.request('recall', { sessionId: SESSION, idClient: 'recalled-orig-1' });
  expect(await expectError(d.request('send', { msg: msg('reply-recalled-1', { replyTo: { idClient: 'recalled-orig-1', seq: sent.seq } }) }), 'invalidReply')).toContain('已撤回');
  expect(await expectError(d.request('send', { msg: msg('reply-notice-1', { replyTo: { idClient: notice.idClient, seq: notice.seq as number } }) }), 'invalidReply')).toContain('系统消息');
  await expectError(d.request('send', { msg: msg('reply-bad-1', { replyTo: { idClient: 'recalled-orig-1', seq: 0 } }) }), 'invalidMessage');
});

test('a recall after the reply: readers get the quote without its words, by sync and history; forwarding a reply leaves the quote behind', async () => {
  const [d, p] = await login(doctor, patient);
  const original = await p.request('send', { msg: msg('orig-later-1', { body: '血压 150/95，要加药吗' }) });
  await d.request('send', { msg: msg('reply-later-1', { body: '先观察一周', replyTo: { idClient: 'orig-later-1', seq: original.seq } }) });
  const fwd = await d.request('forward', { sessionId: SESSION, from: doctor.account, idClient: 'reply-later-1', toSessionId: `p2p-${patient.account}`, newIdClient: 'fwd-reply-1' });
  expect(fwd.msg.quote).toBeUndefined();
  await p.request('recall', { sessionId: SESSION, idClient: 'orig-later-1' });
  const expected = { idClient: 'orig-later-1', seq: original.seq, from: patient.account, type: 'text', excerpt: '', recalled: true };
  for (const c of [d, p]) {
    const history = await c.request('history', { sessionId: SESSION, limit: 10 });
    expect(history.msgs.find((m) => m.idClient === 'reply-later-1')?.quote).toMatchObject(expected);
    const sync = await c.request('sync', { cursors: {} });
    expect(sync.msgs.find((m) => m.idClient === 'reply-later-1')?.quote).toMatchObject(expected);
  }
  // Only the sender's own recall line gives them their words back (to edit again); the doctor has none.
  expect(JSON.stringify(await d.request('sync', { cursors: {} }))).not.toContain('要加药吗');
});

test('a reply into a closed consultation is told the consultation is closed, not what is wrong with its quote', async () => {
  const [d, p] = await login(doctor, patient);
  const original = await p.request('send', { msg: msg('before-close-1', { body: '还有一个问题' }) });
  await d.request('consultation', { sessionId: SESSION, action: 'close' });
  // Both refused for the consultation: a good reference, and one naming no message of this conversation.
  await expectError(d.request('send', { msg: msg('after-close-1', { replyTo: { idClient: 'before-close-1', seq: original.seq } }) }), 'consultationClosed');
  await expectError(d.request('send', { msg: msg('after-close-2', { replyTo: { idClient: 'nothing-1', seq: 99 } }) }), 'consultationClosed');
});
