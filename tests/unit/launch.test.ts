/** The H5 entry's sign-in: when a refused SMS link still opens the session saved on this device. */
import { signInForLaunch } from '../../src/pages/entry/launch';
import { HttpError } from '../../src/platform/http-error';
import { exchangeLink } from '../../src/chat/login';
import { savedToken } from '../../src/chat/token';

jest.mock('../../src/session', () => ({ IS_MINI_PROGRAM: false, signInDeps: jest.fn() }));
jest.mock('../../src/chat/login', () => ({ exchangeLink: jest.fn() }));
jest.mock('../../src/chat/token', () => ({ savedToken: jest.fn() }));

/** A JWT-shaped token naming `sub`, expiring at `exp` (seconds); only its payload is read. */
const jwt = (sub: string, exp: number) => `h.${Buffer.from(JSON.stringify({ sub, exp })).toString('base64url')}.s`;
const now = () => Math.floor(Date.now() / 1000);

function refused(code: 'linkUsed' | 'linkExpired' | 'network', saved: string | undefined) {
  jest.mocked(exchangeLink).mockRejectedValueOnce(new HttpError(code, '链接不可用'));
  jest.mocked(savedToken).mockReturnValue(saved);
  return signInForLaunch({ link: jwt('p1', now() - 60) });
}

test('a used link opens the session it gave on this device while that session lives', async () => {
  const live = jwt('p1', now() + 3600);
  await expect(refused('linkUsed', live)).resolves.toBe(live);
});

test('a used link whose session here has expired says the link was used, rather than opening a signed-out chat', async () => {
  await expect(refused('linkUsed', jwt('p1', now() - 3600))).rejects.toMatchObject({ title: '链接已使用过', retry: false });
});

test('an expired link opens a live session of its person only; offline, any live session opens', async () => {
  const live = jwt('p1', now() + 3600);
  await expect(refused('linkExpired', live)).resolves.toBe(live);
  await expect(refused('linkExpired', jwt('p2', now() + 3600))).rejects.toMatchObject({ title: '链接已过期' });
  await expect(refused('linkExpired', jwt('p1', now() - 3600))).rejects.toMatchObject({ title: '链接已过期' });
  const other = jwt('p2', now() + 3600);
  await expect(refused('network', other)).resolves.toBe(other);
  await expect(refused('network', jwt('p2', now() - 3600))).rejects.toMatchObject({ title: '网络连接失败', retry: true });
});
