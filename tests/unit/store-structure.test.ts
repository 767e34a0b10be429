/**
 * The store's cost claim, checked by structure rather than by time: an update to one session leaves
 * every other session's objects the same objects, and a live message in a long session shares all but
 * one path of that session's order and index with the version before.
 */
import type { Message } from '../../types/message';
import { createChatStore, orderedMessages } from '../../src/store';
import { MessageOrder } from '../../src/store/otree';
import { compareMessages } from '../../src/store/order';
import { PMap } from '../../src/store/pmap';

const ME = { account: 'patient-li', name: '李女士', role: 'patient' as const };

function message(sessionId: string, seq: number, over: Partial<Message> = {}): Message {
  return {
    scene: 'team',
    sessionId,
    from: 'doctor-zhang',
    to: sessionId.slice(5),
    type: 'text',
    body: `m${seq}`,
    idClient: `${sessionId}-${seq}`,
    seq,
    time: 1_700_000_000_000 + seq * 1000,
    status: 'unread',
    ...over,
  };
}

function bigStore(long: number, others: number) {
  const store = createChatStore();
  store.getState().setMe(ME);
  for (let o = 0; o < others; o++) {
    store.getState().mergeHistory(`team-o${o}`, [1, 2, 3].map((seq) => message(`team-o${o}`, seq)), false);
  }
  const page: Message[] = [];
  for (let seq = 1; seq <= long; seq++) page.push(message('team-long', seq));
  store.getState().mergeHistory('team-long', page, false);
  return store;
}

const fresh = (before: object[], after: object[]) => {
  const old = new Set(before);
  return after.filter((n) => !old.has(n)).length;
};

describe('store structure', () => {
  const store = bigStore(10_000, 200);

  test('a live message, an ack and a receipt leave every other session’s objects identical', () => {
    const before = store.getState();
    const s = store.getState();
    s.receive([message('team-long', 10_001)]);
    s.addPending(message('team-long', 0, { from: ME.account, idClient: 'mine-1', seq: undefined, status: 'sending' }));
    s.ack({ idClient: 'mine-1', idServer: 'srv', sessionId: 'team-long', seq: 10_002, time: 1_700_000_000_000 + 10_002 * 1000 });
    s.peerRead('team-long', 'doctor-zhang', 10_002);
    const after = store.getState();
    expect(after.messages).not.toBe(before.messages);
    for (let o = 0; o < 200; o++) {
      const id = `team-o${o}`;
      expect(after.messages.get(id)).toBe(before.messages.get(id));
      expect(after.sessions.get(id)).toBe(before.sessions.get(id));
    }
    expect(orderedMessages(after, 'team-long').at(-1)).toMatchObject({ idClient: 'mine-1', status: 'receipt' });
    // The maps of sessions themselves: one path of the trie is new, the rest shared.
    expect(fresh(before.messages.nodes(), after.messages.nodes())).toBeLessThanOrEqual(3);
    expect(fresh(before.sessions.nodes(), after.sessions.nodes())).toBeLessThanOrEqual(3);
  });

  test('a live message in a 10k session copies one path of its order and index, not the order', () => {
    const before = store.getState().messages.get('team-long');
    store.getState().receive([message('team-long', 20_000)]);
    const after = store.getState().messages.get('team-long');
    if (!before || !after) throw new Error('no session');
    expect(after.order).not.toBe(before.order);
    expect(after.order.length).toBe(before.order.length + 1);
    const oldOrder = before.order.nodes();
    const newOrder = after.order.nodes();
    expect(oldOrder.length).toBeGreaterThan(100);
    // A leaf and its ancestors (depth ≤ 4 for 10k); everything else is the previous version's.
    expect(fresh(oldOrder, newOrder)).toBeLessThanOrEqual(4);
    expect(fresh(before.byId.nodes(), after.byId.nodes())).toBeLessThanOrEqual(4);
    // The previous version is unchanged.
    expect(before.order.last()?.seq).not.toBe(20_000);
    expect(before.byId.get('team-long-20000')).toBeUndefined();
  });

  test('the order tree agrees with a sorted array under random inserts, removals and replacements', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed % n;
    };
    let tree = MessageOrder.EMPTY;
    let ref: Message[] = [];
    const versions: Array<[MessageOrder, Message[]]> = [];
    for (let step = 0; step < 5_000; step++) {
      const op = rnd(10);
      if (op < 7 || ref.length === 0) {
        const m = message('team-x', rnd(3_000) + 1, { idClient: `x${step}`, time: rnd(500) });
        const at = tree.firstWhere((x) => compareMessages(x, m) >= 0);
        tree = tree.insert(at, m);
        ref.splice(at, 0, m);
      } else if (op < 9) {
        const at = rnd(ref.length);
        tree = tree.remove(at);
        ref = ref.filter((_, i) => i !== at);
      } else {
        const at = rnd(ref.length);
        const m = { ...ref[at], status: 'read' as const };
        tree = tree.replace(at, m);
        ref = ref.map((x, i) => (i === at ? m : x));
      }
      if (step % 500 === 0) versions.push([tree, ref.slice()]);
    }
    expect(tree.toArray()).toEqual(ref);
    expect([...ref].sort(compareMessages)).toEqual(ref);
    for (let i = 0; i < ref.length; i += 97) expect(tree.at(i)).toBe(ref[i]);
    expect(tree.slice(10, 20)).toEqual(ref.slice(10, 20));
    for (const [t, r] of versions) expect(t.toArray()).toEqual(r);
  });

  test('the persistent map agrees with a Map and keeps old versions', () => {
    let map = PMap.empty<number>();
    const ref = new Map<string, number>();
    const versions: Array<[PMap<number>, Map<string, number>]> = [];
    for (let i = 0; i < 20_000; i++) {
      const k = `k${(i * 7919) % 5_000}`;
      if (i % 5 === 4) {
        map = map.delete(k);
        ref.delete(k);
      } else {
        map = map.set(k, i);
        ref.set(k, i);
      }
      if (i % 2_000 === 0) versions.push([map, new Map(ref)]);
    }
    expect(map.size).toBe(ref.size);
    expect(new Map(map.entries())).toEqual(ref);
    for (const [m, r] of versions) expect(new Map(m.entries())).toEqual(r);
    // A batch under one edit token changes its own nodes in place but no earlier version.
    const edit = {};
    let batch = map;
    for (let i = 0; i < 100; i++) batch = batch.set(`b${i}`, i, edit);
    expect(batch.size).toBe(map.size + 100);
    expect(map.get('b1')).toBeUndefined();
  });
});
