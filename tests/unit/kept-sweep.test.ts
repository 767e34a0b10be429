/**
 * Files kept on the device for uploads waiting for the connection (src/chat/uploads.ts) are swept: once
 * a sign-in, whatever no persisted outbox waits for any more (of any account); at a sign-out, all of that
 * account's. The keeper is the fake of H5's IndexedDB one (tests/helpers/chat-client.ts); the mini
 * programs' keeper is run against the wx fake's file system in tests/platform/keep.test.ts.
 */
import { ChatController } from '../../src/chat/controller';
import { Outbox, outboxKey } from '../../src/chat/outbox';
import { ImError } from '../../src/im/types';
import { createChatStore, orderedMessages } from '../../src/store';
import { MapKeeper, MapStorage } from '../helpers/chat-client';
import { FakeProvider, settle } from './fake-provider';

const uploaded = (n: number) => ({ fileId: `f${n}`, url: `/api/files/f${n}`, name: 'rash.png', size: 3, ext: 'png', mime: 'image/png' });
const offline = () => new ImError('offline', 'network offline');
const photo = (path: string) => ({ path, name: 'rash.png', size: 3 });
const P2 = { account: 'p2', name: '王先生', role: 'patient' as const };

/** One run of the app on this device: a new one on the same storage and keeper is a reload. */
function run(storage = new MapStorage(), keeper = new MapKeeper()) {
  const store = createChatStore();
  const provider = new FakeProvider();
  const controller = new ChatController(store, provider, storage, keeper);
  const shown = () => orderedMessages(store.getState(), 'team-c1').map((m) => `${m.status}${m.error ? `:${m.error}` : ''}`);
  return { store, provider, controller, storage, keeper, shown };
}
type Run = ReturnType<typeof run>;

/** Signed in (as p1 unless told), the connection gone, photos picked: they wait, their files kept. */
async function pickOffline(t: Run, paths: string[], as?: typeof P2): Promise<void> {
  if (as) t.provider.connect.mockResolvedValueOnce(as);
  await t.controller.start(as ? `t-${as.account}` : 't');
  await settle();
  t.provider.events.emit('state', 'disconnected', offline());
  for (const path of paths) {
    t.provider.upload.mockRejectedValueOnce(offline());
    await t.controller.sendFile('team-c1', 'image', photo(path));
  }
  await settle();
}

const keptPaths = (keeper: MapKeeper) => [...keeper.files.values()].map((f) => f.path).sort();

test('a kept file whose message left the outbox (its drop refused after the upload) is removed at the next sign-in; one still waiting stays and goes out', async () => {
  const before = run();
  await pickOffline(before, ['blob:first']);
  // Back online, uploaded and sent; the platform refuses to remove the kept copy.
  before.keeper.refusing.add('drop');
  before.provider.upload.mockResolvedValueOnce(uploaded(1));
  before.provider.events.emit('state', 'connected');
  await settle();
  expect(before.shown()).toEqual(['sent']);
  // Offline again: a second photo waits.
  before.provider.events.emit('state', 'disconnected', offline());
  before.provider.upload.mockRejectedValueOnce(offline());
  await before.controller.sendFile('team-c1', 'image', photo('blob:second'));
  await settle();
  expect(keptPaths(before.keeper)).toEqual(['blob:first', 'blob:second']);
  before.controller.stop();

  before.keeper.refusing.clear();
  const after = run(before.storage, before.keeper);
  await after.controller.start('t');
  await settle();
  expect(keptPaths(after.keeper)).toEqual(['blob:second']);
  expect(after.shown()).toEqual(['sending']);
  after.provider.upload.mockResolvedValueOnce(uploaded(2));
  after.provider.events.emit('state', 'connected');
  await settle();
  expect(after.provider.upload).toHaveBeenCalledWith('image', expect.objectContaining({ path: 'blob:second' }), expect.any(Function));
  expect(after.shown()).toEqual(['sent']);
  expect(keptPaths(after.keeper)).toEqual([]);
  after.controller.stop();
});

test("another account's waiting file stays for its next sign-in, its orphan and a file of no account go", async () => {
  const t = run();
  await pickOffline(t, ['blob:p2-waits', 'blob:p2-orphan'], P2);
  t.keeper.files.set('no-account', photo('blob:legacy'));
  // p2's app was killed between taking a message out of its outbox and dropping its file.
  const p2box = new Outbox(t.storage, outboxKey('p2'));
  const orphan = p2box.all().find((m) => m.attach?.url === 'blob:p2-orphan')!;
  p2box.remove(orphan.sessionId, orphan.idClient);

  // p1 opens their link on the same phone.
  await t.controller.start('t');
  await settle();
  expect(t.store.getState().me?.account).toBe('p1');
  expect(keptPaths(t.keeper)).toEqual(['blob:p2-waits']);

  // p2 again: its photo waits, shown from the kept copy.
  t.provider.connect.mockResolvedValueOnce(P2);
  await t.controller.start('t-p2-again');
  await settle();
  expect(orderedMessages(t.store.getState(), 'team-c1').map((m) => [m.status, m.attach?.url])).toEqual([['sending', 'blob:p2-waits']]);
  expect(keptPaths(t.keeper)).toEqual(['blob:p2-waits']);
  t.controller.stop();
});

test('a photo kept (in another tab) while the sweep is listing is not removed: the persisted outboxes are read after the list', async () => {
  class SlowList extends MapKeeper {
    open!: () => void;
    private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
    override async list() {
      await this.gate;
      return super.list();
    }
  }
  // H5: two tabs of one browser share its IndexedDB and localStorage.
  const keeper = new SlowList();
  keeper.files.set('no-account', photo('blob:legacy'));
  const storage = new MapStorage();
  const first = run(storage, keeper);
  await first.controller.start('t');
  await settle();
  // The first tab's sweep is listing while the second one picks a photo and keeps it.
  const second = run(storage, keeper);
  await pickOffline(second, ['blob:picked']);
  expect(keptPaths(keeper)).toEqual(['blob:legacy', 'blob:picked']);
  keeper.open();
  await settle();
  expect(keptPaths(keeper)).toEqual(['blob:picked']);
  first.controller.stop();
  second.controller.stop();
});

test("a file kept by the build before accounts were in the ids (under the bare idClient) is found, sent, and swept once sent", async () => {
  const before = run();
  await pickOffline(before, ['blob:old-layout']);
  before.controller.stop();
  for (const [id, file] of [...before.keeper.files]) {
    before.keeper.files.delete(id);
    before.keeper.files.set(id.split('~')[1], file);
  }

  const after = run(before.storage, before.keeper);
  await after.controller.start('t');
  await settle();
  expect(after.shown()).toEqual(['sending']);
  expect(keptPaths(after.keeper)).toEqual(['blob:old-layout']);
  after.provider.upload.mockResolvedValueOnce(uploaded(1));
  after.provider.events.emit('state', 'connected');
  await settle();
  expect(after.provider.upload).toHaveBeenCalledWith('image', expect.objectContaining({ path: 'blob:old-layout' }), expect.any(Function));
  expect(after.shown()).toEqual(['sent']);
  after.controller.stop();

  const later = run(after.storage, after.keeper);
  await later.controller.start('t');
  await settle();
  expect(keptPaths(later.keeper)).toEqual([]);
  later.controller.stop();
});

describe('signing out', () => {
  test('in a run that never connected still removes what the account left on the device', async () => {
    const before = run();
    await pickOffline(before, ['blob:p1']);
    before.controller.stop();

    const after = run(before.storage, before.keeper);
    // The platform's unbind answered; the socket never did.
    after.provider.connect.mockReturnValueOnce(new Promise(() => undefined));
    void after.controller.start('t');
    await after.controller.signOut('p1');
    expect(keptPaths(after.keeper)).toEqual([]);
    expect([...after.storage.map.keys()].filter((k) => k.includes('.p1'))).toEqual([]);
  });


  test("removes every file of the account, one whose keeping was under way too, and leaves another account's; back, nothing of it returns", async () => {
    class SlowKeep extends MapKeeper {
      open!: () => void;
      private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
      override async keep(id: string, file: Parameters<MapKeeper['keep']>[1]) {
        if (file.path === 'blob:slow') await this.gate;
        return super.keep(id, file);
      }
    }
    const keeper = new SlowKeep();
    const t = run(new MapStorage(), keeper);
    await pickOffline(t, ['blob:p2'], P2);
    await pickOffline(t, ['blob:p1', 'blob:slow']);
    expect(keptPaths(keeper)).toEqual(['blob:p1', 'blob:p2']);

    let out = false;
    const signedOut = t.controller.signOut('p1').then(() => (out = true));
    await settle();
    expect(out).toBe(false);
    keeper.open();
    await signedOut;
    expect(keptPaths(keeper)).toEqual(['blob:p2']);

    // The same account signs in again in this run: its unsent messages left the device with it.
    await t.controller.start('t-again');
    await settle();
    expect(t.shown()).toEqual([]);
    t.controller.stop();
  });

  test("takes the account's unsent messages and drafts off the device, and leaves another account's", async () => {
    const storage = new MapStorage();
    const other = run(storage);
    await pickOffline(other, ['blob:p2'], P2);
    other.controller.setDraft('team-c1', '王先生的草稿');
    other.controller.stop();

    const t = run(storage, other.keeper);
    await pickOffline(t, ['blob:p1']);
    await t.controller.sendText('team-c1', '还没发出的话');
    t.controller.setDraft('team-c2', '没写完的话');
    // Stopping saves the draft now rather than after its delay.
    t.controller.stop();
    expect(t.controller.unsent()).toBe(2);
    expect(storage.get('medchat.drafts.p1')).toEqual({ 'team-c2': '没写完的话' });
    expect([...storage.map.keys()].filter((k) => k.includes('.p1'))).not.toEqual([]);

    await t.controller.signOut('p1');
    expect(t.controller.unsent()).toBe(0);
    expect([...storage.map.keys()].filter((k) => k.includes('.p1'))).toEqual([]);
    expect(t.store.getState().drafts).toEqual({});
    expect(t.store.getState().me).toBeUndefined();
    expect(t.shown()).toEqual([]);
    expect(new Outbox(storage, outboxKey('p2')).all()).toHaveLength(1);
    expect(storage.get('medchat.drafts.p2')).toEqual({ 'team-c1': '王先生的草稿' });
  });

  test('nothing of the account is sent after it: an upload under way does not go out', async () => {
    const t = run();
    await t.controller.start('t');
    t.provider.events.emit('state', 'connected');
    await settle();
    let done!: (a: ReturnType<typeof uploaded>) => void;
    t.provider.upload.mockReturnValueOnce(new Promise((resolve) => (done = resolve)));
    const sending = t.controller.sendFile('team-c1', 'image', photo('blob:p1'));
    await t.controller.signOut('p1');
    done(uploaded(1));
    await sending;
    await settle();
    expect(t.provider.send).not.toHaveBeenCalled();
    t.controller.stop();
  });
});

/** A photo waits and a file of no account is kept; then a reload whose platform refuses `what`. */
async function reloadRefusing(what: 'list' | 'drop'): Promise<Run> {
  const before = run();
  await pickOffline(before, ['blob:waits']);
  before.keeper.files.set('no-account', photo('blob:legacy'));
  before.controller.stop();
  before.keeper.refusing.add(what);
  return run(before.storage, before.keeper);
}

describe('a platform that refuses', () => {
  test('to list: the sign-in goes on (the waiting photo restored from its copy) and the files stay', async () => {
    const after = await reloadRefusing('list');
    await expect(after.controller.start('t')).resolves.toBeUndefined();
    await settle();
    expect(after.store.getState().me?.account).toBe('p1');
    expect(orderedMessages(after.store.getState(), 'team-c1').map((m) => [m.status, m.attach?.url])).toEqual([['sending', 'blob:waits']]);
    expect(keptPaths(after.keeper)).toEqual(['blob:legacy', 'blob:waits']);
    await after.controller.signOut('p1');
    expect(keptPaths(after.keeper)).toEqual(['blob:legacy', 'blob:waits']);
    after.controller.stop();
  });

  test('to remove: the sign-in and the sign-out go on and the files stay, for the next sweep', async () => {
    const after = await reloadRefusing('drop');
    after.provider.upload.mockResolvedValueOnce(uploaded(1));
    await after.controller.start('t');
    after.provider.events.emit('state', 'connected');
    await settle();
    expect(after.store.getState().connection).toBe('synced');
    expect(after.shown()).toEqual(['sent']);
    expect(keptPaths(after.keeper)).toEqual(['blob:legacy', 'blob:waits']);
    await expect(after.controller.signOut('p1')).resolves.toBeUndefined();
    expect(keptPaths(after.keeper)).toEqual(['blob:legacy', 'blob:waits']);
    after.controller.stop();

    after.keeper.refusing.clear();
    const later = run(after.storage, after.keeper);
    await later.controller.start('t');
    await settle();
    expect(keptPaths(later.keeper)).toEqual([]);
    later.controller.stop();
  });
});
