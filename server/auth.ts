import { errors, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { Account, Role } from '../types/message';
import { ClientError } from './errors';

const ISSUER = 'medchat';
const AUDIENCE = 'medchat-im';
/** One-time SMS link tokens: another audience, so neither kind of token passes for the other. */
const LINK_AUDIENCE = 'medchat-link';

export interface SessionClaims {
  account: string;
  role: Role;
  expiresAt: number;
}

export interface LinkClaims {
  account: string;
  role: Role;
  /** The link's id: it may be exchanged once. */
  jti: string;
}

export class Auth {
  constructor(
    private readonly secret: Uint8Array,
    private readonly ttlSec: number,
    private readonly linkTtlSec = 900,
  ) {}

  /** A short-lived, one-time link token for an SMS: exchanged for a session token at /api/login/link. */
  async issueLink(account: Pick<Account, 'account' | 'role'>, ttlSec = this.linkTtlSec): Promise<string> {
    return new SignJWT({ role: account.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(account.account)
      .setIssuer(ISSUER)
      .setAudience(LINK_AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSec)
      .sign(this.secret);
  }

  /** Throws ClientError('linkExpired' | 'authFailed'). Whether it was used already is the caller's check. */
  async verifyLink(token: string): Promise<LinkClaims> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { issuer: ISSUER, audience: LINK_AUDIENCE, algorithms: ['HS256'] });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || (role !== 'patient' && role !== 'doctor')) {
        throw new ClientError('authFailed', 'link has no valid subject, id or role');
      }
      return { account: payload.sub, role, jti: payload.jti };
    } catch (e) {
      if (e instanceof ClientError) throw e;
      if (e instanceof errors.JWTExpired) throw new ClientError('linkExpired', '链接已过期，请联系医院重新发送');
      throw new ClientError('authFailed', '链接无效');
    }
  }

  async issue(account: Pick<Account, 'account' | 'role'>, ttlSec = this.ttlSec): Promise<string> {
    return (await this.issueWithExpiry(account, ttlSec)).token;
  }

  /** A token and the moment (ms) it expires, as `verify` will report it. */
  async issueWithExpiry(
    account: Pick<Account, 'account' | 'role'>,
    ttlSec = this.ttlSec,
  ): Promise<{ token: string; expiresAt: number }> {
    const exp = Math.floor(Date.now() / 1000) + ttlSec;
    const token = await new SignJWT({ role: account.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(account.account)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, expiresAt: exp * 1000 };
  }

  /** Throws ClientError('tokenExpired' | 'authFailed'): the two need different handling by clients. */
  async verify(token: string): Promise<SessionClaims> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'patient' && role !== 'doctor')) {
        throw new ClientError('authFailed', 'token has no valid subject or role');
      }
      return { account: payload.sub, role, expiresAt: (payload.exp ?? 0) * 1000 };
    } catch (e) {
      if (e instanceof ClientError) throw e;
      if (e instanceof errors.JWTExpired) throw new ClientError('tokenExpired', 'token expired, sign in again');
      throw new ClientError('authFailed', 'invalid token');
    }
  }
}
