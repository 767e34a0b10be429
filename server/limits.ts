/**
 * Rate limits that hold per account or per client address rather than per connection (five sockets
 * must not send five times as much), and across server processes when they share Redis.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ClientError } from './errors';

/** Failed sign-ins (a forged or foreign token, a wrong admin key) per client address before it waits. */
export const FAILED_SIGNINS = { points: 10, durationSec: 15 * 60 };
/** NetEase token requests per account and minute: each is a call to NetEase and an audit record. */
export const NIM_TOKENS = { points: 10, durationSec: 60 };
/**
 * Messages an account's history and sync frames may open per second, for each frame per second it may
 * write: one sync page (server/chat.ts). Reads are charged by what they returned, so a read that finds
 * the budget spent waits for the next second; one patient looping sync over a long chat took the whole
 * server's time before.
 */
export const READ_ROWS_PER_FRAME = 500;
/**
 * Sign-ins on new connections per account and minute: each writes a login record. Reconnects after
 * dropped networks stay far below it; a script opening sockets in a loop wrote hundreds a second.
 */
export const LOGINS = { points: 120, durationSec: 60 };
/** Hospital-system API calls per client address and minute. */
export const ADMIN_CALLS = { points: 120, durationSec: 60 };
/**
 * File reads (every request of a signed file URL, each range request of a video too) per person and
 * minute, by default (FILE_READS_PER_MIN). A history page is at most 100 messages, so 100 thumbnails;
 * a video plays as a few dozen range requests and each seek adds one or two; a doctor paging back
 * through two photo-heavy chats, opening photos and a video in the same minute, stays under 600. A
 * script reading files in a loop is held to 10 a second.
 */
export const FILE_READS_PER_MIN = 600;
/**
 * File reads per minute of the URLs of the hospital's record export, per API client, by default
 * (FILE_EXPORT_READS_PER_MIN): its archive reads every file of every record it fetches, which a
 * person's 10 a second would drag out. Ten times that lets a night's archive of a day's consultations
 * (a few dozen files each) through in minutes, and still bounds what an archive job run wild costs the
 * server.
 */
export const FILE_EXPORT_READS_PER_MIN = 6000;

/** A limit's refusal, with the seconds until it would pass (HTTP answers send them as Retry-After). */
export class RateLimited extends ClientError {
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super('rateLimited', message);
  }
}

/** A refusal's wait as a header, where a program reads it (the hospital's system retries on it) without parsing the message. */
export function retryAfter(res: ServerResponse, e: unknown): void {
  if (e instanceof RateLimited && !res.headersSent) res.setHeader('retry-after', String(e.retryAfterSec));
}

export class Limit {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly refusal: (retryAfterSec: number) => string,
  ) {}

  private refuse(res: RateLimiterRes): never {
    const retryAfterSec = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    throw new RateLimited(this.refusal(retryAfterSec), retryAfterSec);
  }

  /** Spends one point of `key`, or refuses with rateLimited. */
  async spend(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) this.refuse(e);
      throw e;
    }
  }

  /** Refuses while `key` has no points left, without spending one (failures are spent after they fail). */
  async ensure(key: string): Promise<void> {
    const res = await this.limiter.get(key);
    if (res && res.remainingPoints <= 0 && res.msBeforeNext > 0) this.refuse(res);
  }

  /** Spends `points` for what was already done (a read, by the rows it opened), refusing nothing. */
  async charge(key: string, points: number): Promise<void> {
    if (points > 0) await this.limiter.penalty(key, points);
  }

  /** Spends a point for a failure and passes the failure on. */
  async failed<T>(key: string, e: T): Promise<never> {
    await this.limiter.consume(key).catch(() => undefined);
    throw e;
  }
}

export interface Limits {
  /** Frames that write (send, recall, forward, consultation changes, read marks, typing) per account. */
  frames: Limit;
  /** Messages opened by history and sync, per account. */
  reads: Limit;
  /** Per address: session tokens and SMS links that failed (server/bearer.ts failedSignIn). */
  failedSignIns: Limit;
  /** Per address: mini-program login codes the platform refused (each try is a call to the platform). */
  failedCodes: Limit;
  /** Per address: wrong keys for the hospital-system API. */
  failedAdminKeys: Limit;
  logins: Limit;
  admin: Limit;
  nimTokens: Limit;
  /** Reads of signed file URLs, per person the URL was signed for (a message's viewer, an upload's uploader). */
  fileReads: Limit;
  /** Reads of the record export's file URLs, per API client they were signed for. */
  fileExportReads: Limit;
  close(): Promise<void>;
}

export async function openLimits(opts: {
  framesPerSecond: number;
  fileReadsPerMinute?: number;
  fileExportReadsPerMinute?: number;
  redisUrl?: string;
}): Promise<Limits> {
  const redis = opts.redisUrl ? new Redis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 }) : undefined;
  await redis?.connect();
  const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    // While Redis is unreachable each process limits on its own rather than refusing everyone.
    return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `medchat:${keyPrefix}`, points, duration, insuranceLimiter: memory }) : memory;
  };
  // One bucket per kind of credential, so that guessing one kind (forged tokens need no credentials)
  // does not shut the address out of another (a mini program's sign-in, the hospital's system).
  const failures = (keyPrefix: string) =>
    new Limit(make(keyPrefix, FAILED_SIGNINS.points, FAILED_SIGNINS.durationSec), (s) => `登录失败次数过多，请 ${Math.ceil(s / 60)} 分钟后再试`);
  return {
    frames: new Limit(make('frames', opts.framesPerSecond, 1), () => `发送太频繁（每秒最多 ${opts.framesPerSecond} 条），请稍后再试`),
    reads: new Limit(make('reads', opts.framesPerSecond * READ_ROWS_PER_FRAME, 1), () => '读取消息太频繁，请稍后再试'),
    failedSignIns: failures('signin-fail'),
    failedCodes: failures('code-fail'),
    failedAdminKeys: failures('admin-key-fail'),
    logins: new Limit(make('logins', LOGINS.points, LOGINS.durationSec), (s) => `登录太频繁，请 ${s} 秒后再试`),
    admin: new Limit(make('admin', ADMIN_CALLS.points, ADMIN_CALLS.durationSec), (s) => `too many requests, retry in ${s} s`),
    nimTokens: new Limit(make('nim-token', NIM_TOKENS.points, NIM_TOKENS.durationSec), (s) => `请求太频繁，请 ${s} 秒后再试`),
    fileReads: new Limit(make('file-reads', opts.fileReadsPerMinute ?? FILE_READS_PER_MIN, 60), (s) => `打开文件太频繁，请 ${s} 秒后再试`),
    fileExportReads: new Limit(
      make('file-export-reads', opts.fileExportReadsPerMinute ?? FILE_EXPORT_READS_PER_MIN, 60),
      (s) => `too many file reads of the record export (FILE_EXPORT_READS_PER_MIN), retry in ${s} s`,
    ),
    async close() {
      redis?.disconnect();
    },
  };
}

/**
 * The client's address: the socket's peer, or behind our own reverse proxy (TRUST_PROXY) the address
 * that proxy appended last to X-Forwarded-For (earlier entries are whatever the client claimed).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',').pop()?.trim() : undefined;
  return forwarded || req.socket.remoteAddress || 'unknown';
}
