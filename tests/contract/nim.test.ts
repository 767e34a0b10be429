/**
 * The provider contract for NetEase IM: the NIM provider over a fake of the SDK (typed by the SDK's own
 * declarations), logging in with credentials from our real server, which gets them from a stub of
 * NetEase's server API that checks the CheckSum.
 */
import { NimProvider } from '../../src/im/nim/provider';
import { HttpError } from '../../src/platform/http-error';
import type { NimCredentials } from '../../types/protocol';
import { NIM_TOKEN_PATH } from '../../types/protocol';
import { ChatClient, until } from '../helpers/chat-client';
import { doctor, patient, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { FakeNimCloud } from '../helpers/nim-fake';
import { APP_KEY, APP_SECRET, startNimStub } from '../helpers/nim-stub';
import { providerContract } from './provider-contract';

export async function nimWorld() {
  const cloud = new FakeNimCloud();
  for (const a of [doctor, patient, stranger]) cloud.addAccount(a.account, a.name);
  cloud.addTeam(TEAM, [doctor.account, patient.account]);
  const stub = await startNimStub((accid, token) => cloud.setToken(accid, token));
  const server = await startConsultationServer({ nim: { appKey: APP_KEY, appSecret: APP_SECRET, apiUrl: stub.url } });
  const credentials = async (token: string): Promise<NimCredentials> => {
    const res = await fetch(`${server.url}${NIM_TOKEN_PATH}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`credentials: ${res.status}`);
    return (await res.json()) as NimCredentials;
  };
  const clients: ChatClient[] = [];
  return {
    cloud,
    async client(account: (typeof doctor)) {
      const provider = new NimProvider({ credentials, loadSdk: async () => cloud.create, fileSource: (f) => ({ filePath: f.path }) });
      const c = new ChatClient({ url: server.url, token: await server.auth.issue(account), provider });
      clients.push(c);
      await c.startSynced();
      return c;
    },
    setOnline: (_c: ChatClient, account: typeof doctor, online: boolean) => cloud.setOnline(account.account, online),
    async dispose() {
      for (const c of clients) c.stop();
      await server.dispose();
      await stub.close();
    },
  };
}

providerContract('nim', nimWorld);

test('NIM forwards only to a private chat with someone who already had the message', async () => {
  const world = await nimWorld();
  try {
    const p = await world.client(patient);
    const d = await world.client(doctor);
    await d.controller.sendText(`team-${TEAM}`, '复查结果正常');
    await until(() => p.messages(`team-${TEAM}`).length === 1, 'delivered');
    const { idClient } = p.messages(`team-${TEAM}`)[0];
    // Into another team, or to a third person: refused before anything reaches NetEase.
    const before = world.cloud.storedCount;
    expect(await p.controller.forward(`team-${TEAM}`, idClient, `p2p-${stranger.account}`)).toBe('无权访问该会话');
    expect(await p.controller.forward(`team-${TEAM}`, idClient, 'team-other')).toBe('无权访问该会话');
    expect(world.cloud.storedCount).toBe(before);
    // Back to the doctor who wrote it: allowed.
    expect(await p.controller.forward(`team-${TEAM}`, idClient, `p2p-${doctor.account}`)).toBeUndefined();
    expect(world.cloud.storedCount).toBe(before + 1);
  } finally {
    await world.dispose();
  }
});

describe('NIM sign-in and sign-out', () => {
  const setup = () => {
    const cloud = new FakeNimCloud();
    cloud.addAccount(patient.account, patient.name);
    cloud.setToken(patient.account, 'nim-token-of-li');
    const states: string[] = [];
    const provider = (credentials: () => Promise<NimCredentials>) => {
      const p = new NimProvider({ credentials, loadSdk: async () => cloud.create, fileSource: (f) => ({ filePath: f.path }), random: () => 0 });
      p.on('state', (s, e) => states.push(e ? `${s}:${e.code}` : s));
      return p;
    };
    const creds = (token = 'nim-token-of-li'): NimCredentials => ({ appKey: APP_KEY, account: patient.account, token, me: patient });
    return { cloud, states, provider, creds };
  };

  test('our server out of reach at first: the state says so, and it signs in once the server answers', async () => {
    const { states, provider, creds } = setup();
    let calls = 0;
    const p = provider(async () => {
      // What postJson throws when no reply came.
      if (++calls < 3) throw Object.assign(new Error('网络连接失败'), { code: 'network' });
      return creds();
    });
    await expect(p.connect('our-session-token')).resolves.toEqual(patient);
    expect(states).toEqual(['connecting', 'disconnected:offline', 'connecting', 'disconnected:offline', 'connecting', 'connected']);
    p.disconnect();
  });

  test('the SDK chunk failing to load offline counts as offline and is fetched again the moment the network is back', async () => {
    const { cloud, creds } = setup();
    const states: string[] = [];
    const network = new Set<(online: boolean) => void>();
    let loads = 0;
    const p = new NimProvider({
      credentials: async () => creds(),
      loadSdk: async () => {
        // What webpack's runtime throws when the chunk's script does not load.
        if (++loads < 3) throw Object.assign(new Error('Loading chunk 42 failed.'), { name: 'ChunkLoadError' });
        return cloud.create;
      },
      fileSource: (f) => ({ filePath: f.path }),
      watchNetwork: (listener) => {
        network.add(listener);
        return () => network.delete(listener);
      },
      // The longest backoff: without the network's signal the retries would take 1.5 s.
      random: () => 0.999,
    });
    p.on('state', (s, e) => {
      states.push(e ? `${s}:${e.code}` : s);
      if (s === 'disconnected') setTimeout(() => network.forEach((l) => l(true)), 10);
    });
    const started = Date.now();
    await expect(p.connect('our-session-token')).resolves.toEqual(patient);
    expect(Date.now() - started).toBeLessThan(400);
    expect(states).toEqual(['connecting', 'disconnected:offline', 'connecting', 'disconnected:offline', 'connecting', 'connected']);
    expect(network.size).toBe(0);
    p.disconnect();
  });

  test('a token NetEase refuses stops with authFailed instead of retrying', async () => {
    const { states, provider, creds } = setup();
    const p = provider(async () => creds('stale-token'));
    await expect(p.connect('our-session-token')).rejects.toMatchObject({ code: 'authFailed' });
    expect(states).toEqual(['connecting', 'authFailed:authFailed']);
  });

  test('an account our server gives no NetEase account (a pharmacist) stops at once instead of retrying', async () => {
    const { states, provider } = setup();
    const p = provider(async () => {
      throw new HttpError('forbidden', 'a pharmacist cannot nimToken');
    });
    await expect(p.connect('our-session-token')).rejects.toMatchObject({ code: 'forbidden' });
    expect(states).toEqual(['connecting', 'authFailed:forbidden']);
  });

  test('a second login of the account signs the first device out with the reason', async () => {
    const { states, provider, creds } = setup();
    const first = provider(async () => creds());
    await first.connect('t1');
    const second = provider(async () => creds());
    await second.connect('t2');
    await until(() => states.includes('kicked:duplicateLogin'), 'the first device kicked');
    second.disconnect();
  });
});
