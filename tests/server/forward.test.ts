/**
 * Forwarding on our server: a copy goes only to people who could already read the original, keeps the
 * content as stored, is deduplicated by its new idClient, and bad requests are refused with a reason.
 */
import type { Message } from '../../types/message';
import type { PushFrame } from '../../types/protocol';
import { consultationServerPerTest, doctor, patient, SESSION, stranger, TEAM } from '../helpers/consultation';
import { expectError, type WsClient } from '../helpers/ws-client';

const t = consultationServerPerTest({ strangerToo: true });
const { login } = t;

const send = (c: WsClient, body: string, idClient: string) =>
  c.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body, idClient } });

test('the doctor forwards the patient’s message into their private chat: it arrives from the doctor, once', async () => {
  const [d, p] = await login(doctor, patient);
  await send(p, '化验单上的白细胞偏高', 'original-msg-1');
  const req = { sessionId: SESSION, from: patient.account, idClient: 'original-msg-1', toSessionId: `p2p-${patient.account}`, newIdClient: 'forward-msg-1' };
  const pushed = p.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && (f.msg as Message).idClient === 'forward-msg-1');
  const { msg } = await d.request('forward', req);
  expect(msg).toMatchObject({ sessionId: `p2p-${patient.account}`, from: doctor.account, body: '化验单上的白细胞偏高', type: 'text', status: 'sent' });
  expect((await pushed).msg).toMatchObject({ sessionId: `p2p-${doctor.account}`, from: doctor.account, body: '化验单上的白细胞偏高' });
  // A retry is the same message.
  expect((await d.request('forward', req)).msg.idServer).toBe(msg.idServer);
  const history = await p.request('history', { sessionId: `p2p-${doctor.account}`, limit: 10 });
  expect(history.msgs.map((m) => m.idClient)).toEqual(['forward-msg-1']);
});

test('a forward to someone who could not read the original is refused, and nothing reaches them', async () => {
  const [d, p, s] = await login(doctor, patient, stranger);
  await send(p, '我的病情不想让别人知道', 'private-msg-1');
  const message = await expectError(
    d.request('forward', { sessionId: SESSION, from: patient.account, idClient: 'private-msg-1', toSessionId: 'team-c2', newIdClient: 'leak-attempt-1' }),
    'forbidden',
  );
  expect(message).toContain('只能转发');
  expect((await s.request('history', { sessionId: 'team-c2', limit: 10 })).msgs).toEqual([]);
  // Nor can someone forward out of a conversation they are not in.
  await expectError(s.request('forward', { sessionId: SESSION, from: patient.account, idClient: 'private-msg-1', toSessionId: 'team-c2', newIdClient: 'leak-attempt-2' }), 'forbidden');
});

test('nothing to forward, a recalled message, a system line and a malformed request each get their error', async () => {
  const [d, p] = await login(doctor, patient);
  const to = `p2p-${patient.account}`;
  await expectError(d.request('forward', { sessionId: SESSION, from: patient.account, idClient: 'never-sent-1', toSessionId: to, newIdClient: 'fwd-none-1' }), 'notFound');
  await send(p, '发错了', 'recalled-msg-1');
  const { notice } = await p.request('recall', { sessionId: SESSION, idClient: 'recalled-msg-1' });
  await expectError(d.request('forward', { sessionId: SESSION, from: patient.account, idClient: 'recalled-msg-1', toSessionId: to, newIdClient: 'fwd-recalled-1' }), 'notFound');
  await expectError(d.request('forward', { sessionId: SESSION, from: patient.account, idClient: notice.idClient, toSessionId: to, newIdClient: 'fwd-notice-1' }), 'badFrame');
  await expectError(d.request('forward', { sessionId: SESSION, from: patient.account, idClient: 'recalled-msg-1', toSessionId: to, newIdClient: 'x' }), 'badFrame');
});
