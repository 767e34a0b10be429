/**
 * What every IM provider must do for the app, asserted through the app's own stack (store + controller
 * + provider): send and receive, dedup of retries, catching up after being offline, recall, p2p and
 * team receipts, forwarding, history paging, media with progress, refusals, replies with their quote. Run for the local provider
 * against a real server and for the NIM provider against a fake of the SDK (tests/contract/*.test.ts).
 */
import type { Account } from '../../types/message';
import type { ChatClient } from '../helpers/chat-client';
import { until } from '../helpers/chat-client';
import { doctor, patient, SESSION, stranger } from '../helpers/consultation';
import { png } from '../helpers/fixtures';
import { newIdClient } from '../../src/im/ids';
import { errorCodeOf } from '../../src/im/types';
import { errorText } from '../../src/chat/errorText';

export interface ContractWorld {
  /** A chat client of `account`, started and synced. */
  client(account: Account): Promise<ChatClient>;
  /** The device of `account` loses or regains its connection. */
  setOnline(c: ChatClient, account: Account, online: boolean): void;
  dispose(): Promise<void>;
}

const P2P_DOCTOR = `p2p-${doctor.account}`;
const P2P_PATIENT = `p2p-${patient.account}`;
const bodies = (c: ChatClient, sessionId = SESSION) => c.messages(sessionId).map((m) => m.body);

export function providerContract(name: string, makeWorld: () => Promise<ContractWorld>): void {
  describe(`${name} provider contract`, () => {
    let world: ContractWorld;
    beforeEach(async () => {
      world = await makeWorld();
    });
    afterEach(() => world.dispose());

    test('a text arrives once at the other side and the sender holds it as stored', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      await p.controller.sendText(SESSION, '医生您好，头痛三天了');
      await until(() => bodies(d).length === 1, 'doctor got it');
      const mine = p.messages(SESSION)[0];
      expect(mine).toMatchObject({ status: 'sent', from: patient.account, type: 'text' });
      expect(mine.idServer).toBeTruthy();
      expect(mine.seq).toBeGreaterThan(0);
      expect(d.messages(SESSION)[0]).toMatchObject({ idClient: mine.idClient, idServer: mine.idServer, from: patient.account, body: '医生您好，头痛三天了' });
    });

    test('a retry with the same idClient is stored once and acked alike', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      // An id made as the app makes them: NIM orders messages of one millisecond by it.
      const out = { scene: 'team' as const, to: SESSION.slice('team-'.length), type: 'text' as const, body: '重发', idClient: newIdClient() };
      const first = await p.provider.send(out);
      const second = await p.provider.send(out);
      expect(second).toEqual(first);
      await p.controller.sendText(SESSION, '之后一条');
      await until(() => bodies(d).includes('之后一条'), 'the next message');
      expect(bodies(d)).toEqual(['重发', '之后一条']);
    });

    test('what was sent while a device was offline arrives in order after it reconnects, none twice', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      await p.controller.sendText(SESSION, '在线时');
      await until(() => bodies(d).length === 1, 'first');
      world.setOnline(d, doctor, false);
      await until(() => d.store.getState().connection !== 'synced', 'doctor offline');
      for (const t of ['一', '二', '三']) await p.controller.sendText(SESSION, t);
      world.setOnline(d, doctor, true);
      await until(() => bodies(d).length === 4 && d.store.getState().connection === 'synced', 'doctor caught up');
      expect(bodies(d)).toEqual(['在线时', '一', '二', '三']);
      expect(new Set(d.messages(SESSION).map((m) => m.idClient)).size).toBe(4);
    });

    test('a recalled message becomes a tip on both sides', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      await p.controller.sendText(SESSION, '发错了');
      await until(() => bodies(d).length === 1, 'delivered');
      const { idClient } = p.messages(SESSION)[0];
      expect(await p.controller.recall(SESSION, idClient)).toBeUndefined();
      const recalled = (c: ChatClient) => c.messages(SESSION).find((m) => m.idClient === idClient);
      await until(() => recalled(d)?.type === 'tip', 'recalled at the doctor');
      expect(recalled(p)).toMatchObject({ type: 'tip', attach: { recalled: { by: patient.account, text: '发错了' } } });
      expect(recalled(d)).toMatchObject({ type: 'tip', body: '', attach: { recalled: { by: patient.account } } });
      expect(JSON.stringify(recalled(d))).not.toContain('发错了');
    });

    test('p2p: once the doctor opens the chat, the patient sees the message read', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      await p.controller.sendText(P2P_DOCTOR, '私信');
      await until(() => bodies(d, P2P_PATIENT).length === 1, 'delivered');
      expect(p.messages(P2P_DOCTOR)[0].status).toBe('sent');
      await d.controller.enterSession(P2P_PATIENT);
      await until(() => p.messages(P2P_DOCTOR)[0].status === 'receipt', 'read receipt');
    });

    test('team: the doctor sees which member read the message', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      await d.controller.sendText(SESSION, '请按时服药');
      await until(() => bodies(p).length === 1, 'delivered');
      const seq = d.messages(SESSION)[0].seq as number;
      await p.controller.enterSession(SESSION);
      await until(() => (d.store.getState().sessions.get(SESSION)?.memberReads[patient.account] ?? 0) >= seq, 'team receipt');
    });

    test('a message forwarded into another session arrives there from the forwarder', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      await p.controller.sendText(SESSION, '血常规报告：白细胞 11.2');
      await until(() => bodies(d).length === 1, 'delivered');
      expect(await d.controller.forward(SESSION, d.messages(SESSION)[0].idClient, P2P_PATIENT)).toBeUndefined();
      expect(d.messages(P2P_PATIENT)).toMatchObject([{ from: doctor.account, body: '血常规报告：白细胞 11.2', status: 'sent' }]);
      await until(() => bodies(p, P2P_DOCTOR).length === 1, 'the forwarded copy arrived');
      expect(p.messages(P2P_DOCTOR)[0]).toMatchObject({ from: doctor.account, body: '血常规报告：白细胞 11.2' });
      expect(bodies(p)).toEqual(['血常规报告：白细胞 11.2']);
    });

    test('a fresh device pages back through history without gaps or duplicates', async () => {
      const p = await world.client(patient);
      const texts = ['1', '2', '3', '4', '5', '6', '7'];
      for (const t of texts) await p.controller.sendText(SESSION, t);
      const d = await world.client(doctor);
      d.controller.openSessionAsRead(SESSION);
      while (await d.controller.loadOlder(SESSION, 3));
      expect(bodies(d)).toEqual(texts);
    });

    test('an image goes up with progress and reaches the other side with its file', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      const progress: number[] = [];
      p.store.subscribe((s) => {
        const f = Object.values(s.uploads)[0];
        if (f !== undefined) progress.push(f);
      });
      const bytes = await png(120, 80);
      const blob = new Blob([new Uint8Array(bytes)], { type: 'image/png' });
      await p.controller.sendFile(SESSION, 'image', { path: '/tmp/rash.png', name: 'rash.png', size: bytes.length, blob, w: 120, h: 80 });
      await until(() => d.messages(SESSION).length === 1, `image delivered (${JSON.stringify(p.messages(SESSION))})`, 3000);
      expect(progress.at(-1)).toBe(1);
      const got = d.messages(SESSION)[0];
      expect(got).toMatchObject({ type: 'image', status: 'unread' });
      expect(typeof got.attach?.url).toBe('string');
      expect(got.attach?.fileId).toBe(p.messages(SESSION)[0].attach?.fileId);
    });

    test('a reply shows the quoted message on both sides; one naming another conversation’s message is refused', async () => {
      const p = await world.client(patient);
      const d = await world.client(doctor);
      await d.controller.sendText(SESSION, '每天早晚各一次，饭后服用');
      await until(() => bodies(p).length === 1, 'delivered');
      const original = p.messages(SESSION)[0];
      await p.controller.sendText(SESSION, '要吃几天？', { idClient: original.idClient, seq: original.seq as number });
      const quote = { idClient: original.idClient, seq: original.seq, from: doctor.account, type: 'text', excerpt: '每天早晚各一次，饭后服用' };
      await until(() => bodies(d).includes('要吃几天？'), 'reply delivered');
      expect(d.messages(SESSION).find((m) => m.body === '要吃几天？')?.quote).toMatchObject(quote);
      expect(p.messages(SESSION).find((m) => m.body === '要吃几天？')).toMatchObject({ status: 'sent', quote });

      // The quoted message is in the consultation, the reply goes to the private chat: refused.
      await p.controller.sendText(P2P_DOCTOR, '这条引用不对', { idClient: original.idClient, seq: original.seq as number });
      await until(() => p.messages(P2P_DOCTOR).some((m) => m.status === 'sendFailed'), 'refused');
      expect(p.messages(P2P_DOCTOR)[0].error).toBe(errorText('invalidReply'));
    });

    test('someone outside the consultation is refused and nothing reaches its members', async () => {
      const d = await world.client(doctor);
      const s = await world.client(stranger);
      const err = await s.provider.send({ scene: 'team', to: SESSION.slice('team-'.length), type: 'text', body: '闯入', idClient: `intruder-${name}` }).catch((e: unknown) => e);
      expect(errorCodeOf(err)).toBe('forbidden');
      await d.controller.enterSession(SESSION);
      expect(bodies(d)).toEqual([]);
    });
  });
}
