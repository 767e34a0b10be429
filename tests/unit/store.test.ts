import { closedReason } from '../../types/consultation';
import type { ConsultationInfo, Message } from '../../types/message';
import { newIdClient } from '../../src/im/ids';
import { createChatStore, hasGaps, orderedMessages, syncCursors } from '../../src/store';

const ME = { account: 'patient-li', name: '李女士', role: 'patient' as const };
const SESSION = 'team-c1';

let n = 0;
function msg(over: Partial<Message> = {}): Message {
  n += 1;
  return {
    scene: 'team',
    sessionId: SESSION,
    from: 'doctor-zhang',
    to: 'c1',
    type: 'text',
    body: `m${n}`,
    idClient: `id-${n}-xxxxxx`,
    time: 1_700_000_000_000 + n * 1000,
    status: 'unread',
    ...over,
  };
}

function setup() {
  const store = createChatStore();
  store.getState().setMe(ME);
  return { store, s: () => store.getState(), ids: () => orderedMessages(store.getState(), SESSION).map((m) => m.seq) };
}

describe('chat store', () => {
  test('receiving the same message twice keeps one copy and counts it unread once', () => {
    const { s } = setup();
    const m = msg({ seq: 1 });
    s().receive([m]);
    s().receive([{ ...m }]);
    expect(orderedMessages(s(), SESSION)).toHaveLength(1);
    expect(s().sessions.get(SESSION)?.unread).toBe(1);
  });

  test('time-based seqs (NIM) jump without being gaps: the cursor follows the newest', () => {
    const { s } = setup();
    s().setSeqGapFree(false);
    s().receive([msg({ seq: 1_700_000_000_000, time: 1_700_000_000_000 }), msg({ seq: 1_700_000_090_000, time: 1_700_000_090_000 })]);
    expect(hasGaps(s())).toBe(false);
    expect(syncCursors(s())).toEqual({ [SESSION]: 1_700_000_090_000 });
    const gapFree = setup();
    gapFree.s().receive([msg({ seq: 1, time: 1 }), msg({ seq: 3, time: 3 })]);
    expect(hasGaps(gapFree.s())).toBe(true);
  });

  test('messages in the same millisecond never collide and order by seq', () => {
    const { s, ids } = setup();
    const t = 1_700_000_100_000;
    s().receive([msg({ seq: 3, time: t }), msg({ seq: 1, time: t }), msg({ seq: 2, time: t })]);
    expect(ids()).toEqual([1, 2, 3]);
  });

  test('a history page overlapping live messages shows each once, in order', () => {
    const { s, ids } = setup();
    const all = [1, 2, 3, 4, 5, 6].map((seq) => msg({ seq, time: 1_700_000_200_000 + seq }));
    s().receive([all[4], all[5]]);
    s().mergeHistory(SESSION, [all[2], all[3], { ...all[4] }], true);
    s().mergeHistory(SESSION, [all[0], all[1], all[2]], false);
    expect(ids()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s().messages.get(SESSION)?.hasMore).toBe(false);
    expect(s().messages.get(SESSION)?.minSeq).toBe(1);
    expect(s().messages.get(SESSION)?.maxSeq).toBe(6);
  });

  test('pending messages sort after stored ones and move into place on ack', () => {
    const { s } = setup();
    const stored = msg({ seq: 1, time: 2_000 });
    const mine = msg({ from: ME.account, status: 'sending', time: 1_000 });
    s().receive([stored]);
    s().addPending(mine);
    expect(orderedMessages(s(), SESSION).map((m) => m.idClient)).toEqual([stored.idClient, mine.idClient]);
    const later = msg({ seq: 3, time: 4_000 });
    s().receive([later]);
    s().ack({ idClient: mine.idClient, idServer: 'srv-2', sessionId: SESSION, seq: 2, time: 3_000 });
    const out = orderedMessages(s(), SESSION);
    expect(out.map((m) => m.idClient)).toEqual([stored.idClient, mine.idClient, later.idClient]);
    expect(out[1]).toMatchObject({ status: 'sent', seq: 2, idServer: 'srv-2' });
    expect(s().sessions.get(SESSION)?.lastMsg?.idClient).toBe(later.idClient);
  });

  test('an own photo keeps the upload reply’s URLs until its ack, which brings the message’s own (signed for it)', () => {
    const { s } = setup();
    const preview = { fileId: 'f1', url: '/api/files/f1?v=orig&exp=1&sig=a', thumbUrl: '/api/files/f1?v=thumb&exp=1&sig=b', w: 4, h: 3 };
    const mine = msg({ from: ME.account, type: 'image', body: '', status: 'sending', attach: preview });
    s().addPending(mine);
    const bound = { ...preview, url: `${preview.url}&c=team:c1&s=1&a=${ME.account}`, thumbUrl: `${preview.thumbUrl}&c=team:c1&s=1&a=${ME.account}` };
    s().ack({ idClient: mine.idClient, idServer: 'srv-1', sessionId: SESSION, seq: 1, time: mine.time, attach: bound });
    expect(s().messages.get(SESSION)?.byId.get(mine.idClient)?.attach).toEqual(bound);
    // A video keeps the poster the device made for it (it never goes to the server).
    const video = msg({ from: ME.account, type: 'video', body: '', status: 'sending', attach: { ...preview, poster: 'blob:poster' } });
    s().addPending(video);
    s().ack({ idClient: video.idClient, idServer: 'srv-v', sessionId: SESSION, seq: 3, time: video.time, attach: bound });
    expect(s().messages.get(SESSION)?.byId.get(video.idClient)?.attach).toEqual({ ...bound, poster: 'blob:poster' });
    // A text's ack has no attach: nothing of the message is dropped.
    const text = msg({ from: ME.account, status: 'sending' });
    s().addPending(text);
    s().ack({ idClient: text.idClient, idServer: 'srv-2', sessionId: SESSION, seq: 2, time: text.time });
    expect(s().messages.get(SESSION)?.byId.get(text.idClient)).toMatchObject({ body: text.body, status: 'sent' });
  });

  test('a failed send keeps its idClient and reason; a late failure cannot undo an ack', () => {
    const { s } = setup();
    const mine = msg({ from: ME.account, status: 'sending' });
    s().addPending(mine);
    s().fail(SESSION, mine.idClient, '发送超时，请重试');
    expect(s().messages.get(SESSION)?.byId.get(mine.idClient)).toMatchObject({ status: 'sendFailed', error: '发送超时，请重试' });
    s().ack({ idClient: mine.idClient, idServer: 'x', sessionId: SESSION, seq: 1, time: mine.time });
    s().fail(SESSION, mine.idClient, 'late');
    s().addPending(mine);
    expect(s().messages.get(SESSION)?.byId.get(mine.idClient)).toMatchObject({ status: 'sent', seq: 1 });
    expect(orderedMessages(s(), SESSION)).toHaveLength(1);
  });

  test('unread counts others’ messages only, and opening the session clears it', () => {
    const { s } = setup();
    s().receive([msg({ seq: 1 }), msg({ seq: 2, from: ME.account }), msg({ seq: 3 })]);
    expect(s().sessions.get(SESSION)?.unread).toBe(2);
    s().openSessionAsRead(SESSION);
    expect(s().sessions.get(SESSION)?.unread).toBe(0);
    expect(orderedMessages(s(), SESSION).filter((m) => m.from !== ME.account).map((m) => m.status)).toEqual([
      'read',
      'read',
    ]);
    s().receive([msg({ seq: 4 })]);
    expect(s().sessions.get(SESSION)?.unread).toBe(0);
    expect(s().sessions.get(SESSION)?.readSeq).toBe(4);
    s().closeSession();
    s().receive([msg({ seq: 5 })]);
    expect(s().sessions.get(SESSION)?.unread).toBe(1);
  });

  test('a re-delivered message does not turn read back into unread', () => {
    const { s } = setup();
    const m = msg({ seq: 1 });
    s().receive([m]);
    s().openSessionAsRead(SESSION);
    s().closeSession();
    s().receive([{ ...m, status: 'unread' }]);
    expect(s().messages.get(SESSION)?.byId.get(m.idClient)?.status).toBe('read');
    expect(s().sessions.get(SESSION)?.unread).toBe(0);
  });

  test('the server’s session list sets counters but keeps a newer local pending preview', () => {
    const { s } = setup();
    const pending = msg({ from: ME.account, status: 'sending' });
    s().addPending(pending);
    s().setSessions([
      { id: SESSION, scene: 'team', to: 'c1', name: '张医生', unread: 4, lastSeq: 9, readSeq: 5, peerReadSeq: 2, memberReads: { 'doctor-zhang': 2 }, peerDeliveredSeq: 2 },
    ]);
    expect(s().sessions.get(SESSION)).toMatchObject({ unread: 4, name: '张医生', lastSeq: 9 });
    expect(s().sessions.get(SESSION)?.lastMsg?.idClient).toBe(pending.idClient);
  });

  test('peer reads turn own sent messages into receipts up to the watermark', () => {
    const { s } = setup();
    s().receive([msg({ seq: 1, from: ME.account }), msg({ seq: 2, from: ME.account }), msg({ seq: 3 })]);
    s().peerRead(SESSION, 'doctor-zhang', 1);
    expect(orderedMessages(s(), SESSION).map((m) => m.status)).toEqual(['receipt', 'sent', 'unread']);
    expect(s().sessions.get(SESSION)?.peerReadSeq).toBe(1);
  });

  test('in a team a message counts as read only once every other member read it', () => {
    const { s } = setup();
    s().receive([msg({ seq: 1, from: ME.account }), msg({ seq: 2, from: ME.account })]);
    s().setSessions([
      {
        id: SESSION,
        scene: 'team',
        to: 'c1',
        name: '会诊',
        unread: 0,
        lastSeq: 2,
        readSeq: 2,
        peerReadSeq: 0,
        memberReads: { 'doctor-zhang': 0, 'nurse-wang': 0 },
        peerDeliveredSeq: 0,
      },
    ]);
    s().peerRead(SESSION, 'doctor-zhang', 2);
    expect(orderedMessages(s(), SESSION).map((m) => m.status)).toEqual(['sent', 'sent']);
    s().peerRead(SESSION, 'nurse-wang', 1);
    expect(orderedMessages(s(), SESSION).map((m) => m.status)).toEqual(['receipt', 'sent']);
    expect(s().sessions.get(SESSION)).toMatchObject({ peerReadSeq: 1, memberReads: { 'doctor-zhang': 2, 'nurse-wang': 1 } });
  });

  test('a recall notice turns the message into a tip in place; only the sender keeps the text', () => {
    const { s } = setup();
    const mine = msg({ seq: 1, from: ME.account, body: '开错药了' });
    s().receive([mine, msg({ seq: 2, body: '好的' })]);
    const notice = msg({
      seq: 3,
      from: ME.account,
      type: 'notification',
      body: '',
      idClient: `recall:${mine.idClient}`,
      attach: { recall: { idClient: mine.idClient, by: ME.account } },
    });
    s().receive([notice, notice]);
    const list = orderedMessages(s(), SESSION);
    expect(list.map((m) => m.type)).toEqual(['tip', 'text', 'notification']);
    expect(list[0]).toMatchObject({ body: '', attach: { recalled: { by: ME.account, text: '开错药了' } }, seq: 1 });
    expect(s().sessions.get(SESSION)?.unread).toBe(1);
  });

  test('a recall seen by the other side carries no text', () => {
    const { s } = setup();
    const theirs = msg({ seq: 1, body: '处方有误' });
    s().receive([theirs]);
    s().receive([
      msg({
        seq: 2,
        type: 'notification',
        body: '',
        idClient: `recall:${theirs.idClient}`,
        attach: { recall: { idClient: theirs.idClient, by: theirs.from } },
      }),
    ]);
    expect(orderedMessages(s(), SESSION)[0].attach).toEqual({ recalled: { by: theirs.from } });
    expect(s().sessions.get(SESSION)?.unread).toBe(1);
  });

  describe('the consultation in the summary', () => {
    const change = (seq: number, status: string, time: number) =>
      msg({ seq, time, type: 'notification', body: '', idClient: `c-${status}-${seq}`, attach: { consultation: { status, by: 'doctor-zhang' } } });
    function withConsultation(over: Partial<ConsultationInfo>, lastSeq: number) {
      const t = setup();
      t.s().setSessions([
        {
          id: SESSION,
          scene: 'team',
          to: 'c1',
          name: '张医生',
          unread: 0,
          lastSeq,
          readSeq: lastSeq,
          peerReadSeq: 0,
          memberReads: {},
          peerDeliveredSeq: 0,
          consultation: { id: 'c1', status: 'inProgress', patient: ME.account, doctor: 'doctor-zhang', patientMessages: 2, maxPatientMessages: 5, followUp: { messages: 2, days: 3 }, followUps: 0, ...over },
        },
      ]);
      return { ...t, c: () => t.s().sessions.get(SESSION)?.consultation as ConsultationInfo };
    }

    test('closed live: the 追问 window opens from the closing, and the patient’s messages after it are 追问', () => {
      const { s, c } = withConsultation({}, 4);
      s().receive([change(5, 'closed', 1_800_000_000_000)]);
      expect(c()).toMatchObject({ status: 'closed', closedAt: 1_800_000_000_000 });
      expect(closedReason(c(), ME.account, 1_800_000_060_000)).toBeUndefined();
      s().receive([msg({ seq: 6, from: ME.account }), msg({ seq: 7, from: ME.account })]);
      expect(c()).toMatchObject({ patientMessages: 2, followUps: 2 });
      expect(closedReason(c(), ME.account, 1_800_000_060_000)).toBe('closed');
    });

    test('an older page changes nothing of it: an old 接诊 does not reopen it, old messages are not counted again', () => {
      const { s, c } = withConsultation({ status: 'closed', closedAt: 1_800_000_000_000 }, 10);
      s().mergeHistory(SESSION, [change(1, 'inProgress', 1), msg({ seq: 2, from: ME.account }), msg({ seq: 3, from: ME.account })], false);
      expect(c()).toMatchObject({ status: 'closed', closedAt: 1_800_000_000_000, patientMessages: 2, followUps: 0 });
    });
  });

  test('the sync cursor stops below a gap and moves past it once the gap is filled', () => {
    const { s } = setup();
    const [m1, m2, m3, m4] = [1, 2, 3, 4].map((seq) => msg({ seq }));
    s().receive([m1, m2, m4]);
    expect(syncCursors(s())).toEqual({ [SESSION]: 2 });
    expect(hasGaps(s())).toBe(true);
    s().receive([m3]);
    expect(syncCursors(s())).toEqual({ [SESSION]: 4 });
    expect(hasGaps(s())).toBe(false);
  });

  test('messages composed in the same millisecond stay in the order typed while pending', () => {
    const { s } = setup();
    const now = Date.now();
    const typed = Array.from({ length: 50 }, (_, i) =>
      msg({ from: ME.account, status: 'sending', time: now, body: `p${i}`, idClient: newIdClient() }),
    );
    for (const m of typed) s().addPending(m);
    expect(orderedMessages(s(), SESSION).map((m) => m.body)).toEqual(typed.map((m) => m.body));
  });

  test('switching accounts forgets the previous account’s messages', () => {
    const { s } = setup();
    s().receive([msg({ seq: 1 })]);
    s().setMe({ account: 'doctor-zhang', name: '张医生', role: 'doctor' });
    expect(s().messages.size).toBe(0);
    expect(s().sessions.size).toBe(0);
  });
});
