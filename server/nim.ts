/**
 * What a NetEase Yunxin (NIM) deployment needs from its own backend: NIM account tokens, created or
 * refreshed through NetEase's server API. The AppSecret signs each call (CheckSum) and never leaves
 * this server; clients get only their own account's token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ClientError } from './errors';

export interface NimServerConfig {
  appKey: string;
  appSecret: string;
  /** NetEase's server API, e.g. https://api.netease.im/nimserver (tests point it at a stub). */
  apiUrl: string;
}

/** NetEase's signature: SHA1 over AppSecret + Nonce + CurTime, lower-case hex. */
export const nimCheckSum = (appSecret: string, nonce: string, curTime: string): string =>
  createHash('sha1').update(appSecret + nonce + curTime).digest('hex');

/** NetEase answers this when refreshing the token of an account it does not know yet. */
const NOT_REGISTERED = 414;

interface NimReply {
  code: number;
  desc?: string;
  info?: { accid?: string; token?: string };
}

export class NimServerApi {
  constructor(
    private readonly config: NimServerConfig,
    private readonly now: () => number = Date.now,
  ) {}

  private async call(action: string, params: Record<string, string>): Promise<NimReply> {
    const nonce = randomBytes(16).toString('hex');
    const curTime = String(Math.floor(this.now() / 1000));
    let res: Response;
    try {
      res = await fetch(`${this.config.apiUrl.replace(/\/$/, '')}/${action}`, {
        method: 'POST',
        headers: {
          AppKey: this.config.appKey,
          Nonce: nonce,
          CurTime: curTime,
          CheckSum: nimCheckSum(this.config.appSecret, nonce, curTime),
          'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8',
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new ClientError('internal', 'NetEase IM server API is not reachable');
    }
    const reply = (await res.json().catch(() => ({ code: res.status }))) as NimReply;
    return reply;
  }

  /**
   * Makes the account's current NIM token worthless (NetEase issues a new one nobody holds): a device
   * whose sign-in the hospital revoked must not go on chatting through NetEase. Nothing to do for an
   * account NetEase does not know.
   */
  async invalidate(account: string): Promise<void> {
    const reply = await this.call('user/refreshToken.action', { accid: account });
    if (reply.code !== 200 && reply.code !== NOT_REGISTERED) throw new Error(`NetEase refused to refresh the token (code ${reply.code})`);
  }

  /** The account's current token: refreshed if NetEase knows the account, created otherwise. */
  async tokenFor(account: string, name: string): Promise<string> {
    let reply = await this.call('user/refreshToken.action', { accid: account });
    if (reply.code === NOT_REGISTERED) reply = await this.call('user/create.action', { accid: account, name });
    if (reply.code !== 200 || !reply.info?.token) {
      throw new ClientError('internal', `NetEase IM refused the token request (code ${reply.code}${reply.desc ? `: ${reply.desc}` : ''})`);
    }
    return reply.info.token;
  }
}
