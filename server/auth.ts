import { errors, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { Account, Role } from '../types/message';
import { isRole } from '../types/message';
import { ClientError } from './errors';

const ISSUER = 'medchat';
const AUDIENCE = 'medchat-im';
/** One-time SMS link tokens: another audience, so neither kind of token passes for the other. */
const LINK_AUDIENCE = 'medchat-link';

export interface SessionClaims {
  account: string;
  role: Role;
  expiresAt: number;
  /** One sign-in: every renewed token of it carries the same id (tokens from before sessions had ids carry none). */
  sid?: string;
  /** When the sign-in happened (ms): renewing never extends a session past this plus the maximum age. */
  startedAt: number;
}

export interface SessionPolicy {
  /** Absolute lifetime of a sign-in, in seconds. */
  maxAgeSec: number;
  /** Whether a session was revoked (logout, the hospital revoking a device or an account's sessions). */
  isRevoked(claims: SessionClaims): Promise<boolean>;
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
    private readonly policy: SessionPolicy = { maxAgeSec: 30 * 86_400, isRevoked: async () => false },
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
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || !isRole(role)) {
        throw new ClientError('authFailed', 'link has no valid subject, id or role');
      }
      return { account: payload.sub, role, jti: payload.jti };
    } catch (e) {
      if (e instanceof ClientError) throw e;
      if (e instanceof errors.JWTExpired) throw new ClientError('linkExpired', '链接已过期，请联系医院重新发送');
      throw new ClientError('authFailed', '链接无效');
    }
  }

  /** A token of a new sign-in. */
  async issue(account: Pick<Account, 'account' | 'role'>, ttlSec = this.ttlSec): Promise<string> {
    return (await this.issueWithExpiry(account, ttlSec)).token;
  }

  /**
   * A token and the moment (ms) it expires, as `verify` will report it: of a new sign-in, or of the
   * session `of` continues (renewal), never past that session's absolute end.
   */
  async issueWithExpiry(
    account: Pick<Account, 'account' | 'role'>,
    ttlSec = this.ttlSec,
    of?: Pick<SessionClaims, 'sid' | 'startedAt'>,
  ): Promise<{ token: string; expiresAt: number }> {
    const now = Date.now();
    // Milliseconds (a claim of ours), so that a revocation and a sign-in in the same second are ordered.
    const startedAt = of?.startedAt ?? now;
    const endSec = Math.floor((startedAt + this.policy.maxAgeSec * 1000) / 1000);
    const nowSec = Math.floor(now / 1000);
    if (nowSec >= endSec) throw new ClientError('tokenExpired', '登录已超过最长有效期，请重新登录');
    const exp = Math.min(nowSec + ttlSec, endSec);
    // A renewed token of a session from before sessions had ids stays without one: logging it out then
    // ends every sign-in started by then (as logging out the original does), the original included.
    const sid = of ? of.sid : randomUUID();
    const token = await new SignJWT({ role: account.role, ...(sid !== undefined ? { sid } : {}), sst: startedAt })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(account.account)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, expiresAt: exp * 1000 };
  }

  /** A fresh token of a session that is still valid: never for one revoked meanwhile. */
  async renew(account: Pick<Account, 'account' | 'role'>, session: SessionClaims): Promise<{ token: string; expiresAt: number }> {
    await this.ensureNotRevoked(session);
    return this.issueWithExpiry(account, this.ttlSec, session);
  }

  async ensureNotRevoked(session: SessionClaims): Promise<void> {
    if (await this.policy.isRevoked(session)) throw new ClientError('authFailed', '登录已失效，请重新登录');
  }

  /**
   * The claims of a token we signed, still within its lifetimes, without asking whether its session
   * was revoked since: whoever holds it had it from us, so a revocation is told apart from a forgery.
   */
  async verifySigned(token: string): Promise<SessionClaims> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || !isRole(role)) {
        throw new ClientError('authFailed', 'token has no valid subject or role');
      }
      const claims: SessionClaims = {
        account: payload.sub,
        role,
        expiresAt: (payload.exp ?? 0) * 1000,
        ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
        startedAt: typeof payload.sst === 'number' ? payload.sst : (payload.iat ?? 0) * 1000,
      };
      if (Date.now() >= claims.startedAt + this.policy.maxAgeSec * 1000) {
        throw new ClientError('tokenExpired', '登录已超过最长有效期，请重新登录');
      }
      return claims;
    } catch (e) {
      if (e instanceof ClientError) throw e;
      if (e instanceof errors.JWTExpired) throw new ClientError('tokenExpired', 'token expired, sign in again');
      throw new ClientError('authFailed', 'invalid token');
    }
  }
}
