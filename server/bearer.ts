import type { IncomingMessage } from 'node:http';
import type { Account } from '../types/message';
import type { Auth, SessionClaims } from './auth';
import { ClientError } from './errors';
import type { Storage } from './storage/types';

/** The account and sign-in behind `Authorization: Bearer <session token>` of an HTTP request. */
export async function sessionFromBearer(req: IncomingMessage, auth: Auth, storage: Storage): Promise<{ account: Account; claims: SessionClaims }> {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) throw new ClientError('unauthenticated', 'missing Authorization: Bearer <token>');
  const claims = await auth.verify(m[1]);
  const account = await storage.getAccount(claims.account);
  if (!account) throw new ClientError('authFailed', 'account no longer exists');
  return { account, claims };
}

export async function accountFromBearer(req: IncomingMessage, auth: Auth, storage: Storage): Promise<Account> {
  return (await sessionFromBearer(req, auth, storage)).account;
}
