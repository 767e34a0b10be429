import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Account } from '../types/message';
import { type HTTP_REQUEST_ROLES, mayRequestHttp } from '../types/protocol';
import type { Auth, SessionClaims } from './auth';
import { ClientError } from './errors';
import type { Limits } from './limits';
import type { Storage } from './storage/types';

/**
 * Whether the request's bearer is `secret` (the admin key, the metrics token). Digests of equal length
 * are compared, so the time taken says nothing of the secret, its length included.
 */
export function bearerIs(req: IncomingMessage, secret: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''), digest(secret));
}

/** Where a sign-in comes from, for counting failed ones per address. */
export interface SignInSource {
  address: string;
  limits: Pick<Limits, 'failedSignIns'>;
}

/**
 * Passes on the refusal of a credential we verify ourselves (a session token, an SMS link). A failed
 * one (authFailed) counts against its address, and once the address has failed too often it is
 * refused as such (rateLimited). One that verifies passes even then: a signed token cannot be guessed, and refusing good ones would let anyone
 * behind a shared address (a hospital's Wi-Fi, a carrier's NAT) lock out everyone else with ten forged
 * tokens. What we cannot check ourselves (a mini program's login code, the admin key) waits instead.
 */
export const failedSignIn =
  (from: SignInSource) =>
  async (e: unknown): Promise<never> => {
    if (!(e instanceof ClientError && e.code === 'authFailed')) throw e;
    await from.limits.failedSignIns.ensure(from.address);
    return from.limits.failedSignIns.failed(from.address, e);
  };

/**
 * A session token's claims, on every path that takes a token (the socket's auth and each HTTP request
 * with a bearer). An expired token is an ordinary reconnect; a forged or foreign one is a failed sign-in
 * (failedSignIn). A revoked one we signed ourselves: it cannot have been guessed, and its answer is
 * definite (sign in again), so it is neither counted nor held back as too many while its address is
 * throttled, which would keep its client retrying for the throttle's 15 minutes.
 */
export async function verifySession(auth: Auth, token: string, from: SignInSource): Promise<SessionClaims> {
  const claims = await auth.verifySigned(token).catch(failedSignIn(from));
  await auth.ensureNotRevoked(claims);
  return claims;
}

/** The account and sign-in behind `Authorization: Bearer <session token>` of an HTTP request. */
export async function sessionFromBearer(
  req: IncomingMessage,
  auth: Auth,
  storage: Storage,
  from: SignInSource,
): Promise<{ account: Account; claims: SessionClaims }> {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) throw new ClientError('unauthenticated', 'missing Authorization: Bearer <token>');
  const claims = await verifySession(auth, m[1], from);
  const account = await storage.getAccount(claims.account);
  if (!account) throw new ClientError('authFailed', 'account no longer exists');
  return { account, claims };
}

export async function accountFromBearer(req: IncomingMessage, auth: Auth, storage: Storage, from: SignInSource): Promise<Account> {
  return (await sessionFromBearer(req, auth, storage, from)).account;
}

/** The account of the bearer token, refused unless its role may ask `type` (types/protocol.ts HTTP_REQUEST_ROLES). */
export async function accountMayRequest(
  type: keyof typeof HTTP_REQUEST_ROLES,
  req: IncomingMessage,
  auth: Auth,
  storage: Storage,
  from: SignInSource,
): Promise<Account> {
  const me = await accountFromBearer(req, auth, storage, from);
  if (!mayRequestHttp(me.role, type)) throw new ClientError('forbidden', `a ${me.role} cannot ${type}`);
  return me;
}
