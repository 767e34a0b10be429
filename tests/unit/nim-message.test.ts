/**
 * The NIM mapping both ways, with fixtures typed by the SDK's own IMMessage: a field the SDK renames
 * or retypes fails to compile here.
 */
import type { IMMessage } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/MsgServiceInterface';
import { fileAttachFromNim, fromNim, recallFromNim, sessionFromNim, toNimSend } from '../../src/im/nim/message';
import type { OutgoingMessage } from '../../types/message';

const nim = (over: Partial<IMMessage>): IMMessage => ({
  flow: 'in',
  target: 'c1',
  sessionId: 'team-c1',
  status: 'unread',
  scene: 'team',
  to: 'c1',
  from: 'doctor-zhang',
  fromNick: '张医生',
  time: 1_700_000_000_000,
  userUpdateTime: 1_700_000_000_000,
  type: 'text',
  body: '您好',
  idClient: 'nim-idc-1',
  idServer: '9000001',
  feature: 'default',
  ...over,
});

describe('IMMessage → Message', () => {
  test('text keeps its ids, session, sender and time; its seq is the server time (NIM has no sequence)', () => {
    expect(fromNim(nim({}))).toEqual({
      scene: 'team',
      sessionId: 'team-c1',
      from: 'doctor-zhang',
      fromNick: '张医生',
      to: 'c1',
      type: 'text',
      body: '您好',
      idClient: 'nim-idc-1',
      idServer: '9000001',
      seq: 1_700_000_000_000,
      time: 1_700_000_000_000,
      status: 'unread',
    });
    expect(fromNim(nim({ idServer: undefined, status: 'sending' }))).not.toHaveProperty('seq');
  });

  test('files from NIM storage become our attachments', () => {
    const image = fromNim(nim({ type: 'image', body: '', attach: { url: 'https://nos.example/a.jpg', name: 'a.jpg', ext: 'JPG', size: 2048, w: 640, h: 480, md5: 'abc' } }));
    expect(image?.attach).toEqual({ fileId: 'abc', url: 'https://nos.example/a.jpg', name: 'a.jpg', size: 2048, ext: 'jpg', mime: 'image/jpeg', w: 640, h: 480, thumbUrl: 'https://nos.example/a.jpg' });
    const audio = fromNim(nim({ type: 'audio', attach: { url: 'https://nos.example/v.aac', ext: 'aac', size: 10, dur: 3200, name: '' } }));
    expect(audio?.attach).toMatchObject({ fileId: 'https://nos.example/v.aac', name: 'audio.aac', mime: 'audio/aac', dur: 3200 });
    expect(fromNim(nim({ type: 'file', attach: { url: 'u', ext: 'xyz', name: 'x.xyz' } }))?.attach).toMatchObject({ mime: 'application/octet-stream', size: 0 });
  });

  test('custom cards arrive as JSON strings; geo, tip and notification pass through', () => {
    const card = { card: 'prescription', diagnosis: '咽炎', drugs: [{ name: 'a', dosage: 'b', frequency: 'c' }], doctor: '张医生', issuedAt: 1 };
    expect(fromNim(nim({ type: 'custom', attach: JSON.stringify(card) as unknown as IMMessage['attach'] }))?.attach).toEqual(card);
    expect(fromNim(nim({ type: 'custom', attach: { raw: JSON.stringify(card) } }))?.attach).toEqual(card);
    expect(fromNim(nim({ type: 'custom', attach: { raw: '{broken' } }))?.attach).toEqual({});
    expect(fromNim(nim({ type: 'geo', attach: { lat: 30, lng: 120, title: '门诊楼' } }))?.attach).toEqual({ lat: 30, lng: 120, title: '门诊楼' });
    expect(fromNim(nim({ type: 'notification', body: '', attach: { type: 'addTeamMembers', accounts: ['x'] } }))).toMatchObject({ type: 'notification', attach: { type: 'addTeamMembers' } });
    expect(fromNim(nim({ type: 'tip', body: '医生已接诊' }))).toMatchObject({ type: 'tip', body: '医生已接诊' });
  });

  test('robot and call messages become an unknown card (the safe fallback); deleted and super-team ones are dropped', () => {
    expect(fromNim(nim({ type: 'robot' }))).toMatchObject({ type: 'custom', attach: { card: 'nim:robot' } });
    expect(fromNim(nim({ type: 'g2' }))).toMatchObject({ type: 'custom', attach: { card: 'nim:g2' } });
    expect(fromNim(nim({ status: 'deleted' }))).toBeUndefined();
    expect(fromNim(nim({ scene: 'superTeam' }))).toBeUndefined();
  });

  test('statuses: ours by name, refused becomes a failure with its reason', () => {
    for (const s of ['sending', 'sent', 'sendFailed', 'read', 'unread', 'receipt'] as const) expect(fromNim(nim({ status: s }))?.status).toBe(s);
    expect(fromNim(nim({ status: 'refused' }))).toMatchObject({ status: 'sendFailed', error: '消息已被对方拒收' });
  });
});

describe('replies (threadMessageInfo)', () => {
  const original = nim({ idClient: 'orig', body: '一天三次，每次一片', time: 1_700_000_000_500 });
  const reply = nim({
    idClient: 'reply',
    from: 'patient-li',
    fromNick: '李女士',
    body: '饭后吗？',
    threadMessageInfo: { replyMsgIdClient: 'orig', replyMsgFromAccount: 'doctor-zhang', replyMsgTime: 1_700_000_000_500, replyMsgIdServer: '9000001' },
  });

  test('the quote is made from the referred message when this device has it (NIM keeps no excerpt)', () => {
    const seen = (id: string) => (id === 'orig' ? original : undefined);
    expect(fromNim(reply, seen)?.quote).toEqual({
      idClient: 'orig',
      seq: 1_700_000_000_500,
      from: 'doctor-zhang',
      fromNick: '张医生',
      type: 'text',
      excerpt: '一天三次，每次一片',
    });
    const card = nim({ idClient: 'orig', type: 'custom', body: '', attach: { raw: JSON.stringify({ card: 'prescription' }) } });
    expect(fromNim(reply, () => card)?.quote?.excerpt).toBe('[电子处方]');
  });

  test('an original never seen here gives a quote with the sender and time only; no reply, no quote', () => {
    expect(fromNim(reply)?.quote).toEqual({ idClient: 'orig', seq: 1_700_000_000_500, from: 'doctor-zhang', type: 'text', excerpt: '' });
    expect(fromNim(original)?.quote).toBeUndefined();
  });

  test('a reply goes out with the SDK’s copy of the quoted message', () => {
    const out: OutgoingMessage = { scene: 'team', to: 'c1', type: 'text', body: '饭后吗？', idClient: 'reply', replyTo: { idClient: 'orig', seq: 1 } };
    expect(toNimSend(out, original)).toEqual({ method: 'sendTextMsg', options: { scene: 'team', to: 'c1', idClient: 'reply', body: '饭后吗？', replyMsg: original } });
  });
});

describe('Message → NIM send', () => {
  const out = (over: Partial<OutgoingMessage>): OutgoingMessage => ({ scene: 'team', to: 'c1', type: 'text', body: '头痛三天', idClient: 'our-idc-1', ...over });

  test('each type picks its SDK call; our idClient goes along for dedup', () => {
    expect(toNimSend(out({}))).toEqual({ method: 'sendTextMsg', options: { scene: 'team', to: 'c1', idClient: 'our-idc-1', body: '头痛三天' } });
    expect(toNimSend(out({ type: 'geo', body: '', attach: { lat: 1, lng: 2, title: 't' } }))).toEqual({
      method: 'sendGeoLocationMsg',
      options: { scene: 'team', to: 'c1', idClient: 'our-idc-1', attach: { lat: 1, lng: 2, title: 't' } },
    });
    const card = { card: 'labRequest', items: ['血常规'], reason: '复查' };
    const custom = toNimSend(out({ type: 'custom', body: '', attach: card }));
    expect(custom.method).toBe('sendCustomMsg');
    expect(JSON.parse((custom.options as { attach: string }).attach)).toEqual(card);
    expect(() => toNimSend(out({ type: 'notification' }))).toThrow('server');
  });

  test('media go out with the attach NIM storage returned on upload; without one they cannot', () => {
    const stored = { url: 'https://nos.example/v.aac', name: 'v.aac', ext: 'aac', size: 900, dur: 3200, md5: 'm5' };
    const ours = fileAttachFromNim('audio', stored);
    const send = toNimSend(out({ type: 'audio', body: '', attach: ours }));
    expect(send).toEqual({ method: 'sendAudioMsg', options: { scene: 'team', to: 'c1', idClient: 'our-idc-1', attach: stored } });
    expect(() => toNimSend(out({ type: 'image', body: '', attach: { fileId: 'x' } }))).toThrow('uploaded file');
  });

  test('round trip: what NIM echoes for a sent message maps back to the message we sent', () => {
    for (const msg of [
      out({}),
      out({ type: 'geo', body: '', attach: { lat: 31.2, lng: 121.5, title: '我的位置' } }),
      out({ type: 'custom', body: '', attach: { card: 'followUp', at: 5, note: '复诊' } }),
      out({ scene: 'p2p', to: 'doctor-zhang' }),
    ]) {
      const { options } = toNimSend(msg);
      const echo = nim({
        flow: 'out',
        status: 'sent',
        from: 'patient-li',
        scene: options.scene,
        to: options.to,
        sessionId: `${options.scene}-${options.to}`,
        type: msg.type as IMMessage['type'],
        body: options.body ?? '',
        attach: (options as { attach?: IMMessage['attach'] }).attach,
        idClient: options.idClient as string,
      });
      expect(fromNim(echo)).toMatchObject({ scene: msg.scene, to: msg.to, type: msg.type, body: msg.body, idClient: msg.idClient, status: 'sent', ...(msg.attach ? { attach: msg.attach } : {}) });
    }
  });
});

describe('sessions and recalls', () => {
  test('a NIM session becomes a sessions-list row whose cursors are receipt times', () => {
    const lastMsg = nim({ scene: 'p2p', to: 'patient-li', from: 'doctor-zhang', sessionId: 'p2p-doctor-zhang', time: 5_000 });
    expect(
      sessionFromNim({ id: 'p2p-doctor-zhang', scene: 'p2p', to: 'doctor-zhang', unread: 2, lastMsg, updateTime: 5_000, ack: 4_000, msgReceiptTime: 3_000 }, 'patient-li'),
    ).toMatchObject({ id: 'p2p-doctor-zhang', name: '张医生', unread: 2, lastSeq: 5_000, readSeq: 4_000, peerReadSeq: 3_000, memberReads: { 'doctor-zhang': 3_000 }, lastMsg: { idClient: 'nim-idc-1' } });
    expect(sessionFromNim({ id: 'superTeam-1', scene: 'superTeam', to: '1', unread: 0, updateTime: 1 }, 'x')).toBeUndefined();
  });

  test('a recall system message becomes our recall notice in the right session', () => {
    const sys = { type: 'recallMsgP2p' as const, from: 'doctor-zhang', to: 'patient-li', time: 9, idServer: 's9', feature: 'default' as const, recallMessageInfo: { idClient: 'm1', idServer: 's1', createTime: 1, fromNick: '' } };
    expect(recallFromNim(sys, 'patient-li')).toMatchObject({ sessionId: 'p2p-doctor-zhang', type: 'notification', idClient: 'recall:m1', attach: { recall: { idClient: 'm1', by: 'doctor-zhang' } }, seq: 9 });
    expect(recallFromNim({ ...sys, type: 'recallMsgTeam', to: 'c1' }, 'patient-li')).toMatchObject({ sessionId: 'team-c1' });
    expect(recallFromNim({ ...sys, type: 'customP2p' }, 'patient-li')).toBeUndefined();
  });
});
