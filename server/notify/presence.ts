/**
 * Whether a person has a live connection on any server process, so that nobody connected is sent a
 * notice and patients see whether their doctor is there (server/presence.ts). One process: its
 * gateway's connections. Several (REDIS_URL): each process also keeps, per account it holds, its node
 * id in the sorted set `medchat:presence:<account>` scored by when that entry lapses (three
 * heartbeats), refreshed every beat, added when the account's first connection here opens and removed
 * when its last one goes (`changed`). A process that dies leaves entries that lapse on their own.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export interface Presence {
  isOnline(account: string): Promise<boolean>;
  /**
   * Publishes at once whether `account` is connected to this process (its first connection here opened
   * or its last closed), instead of at the next beat: the doctor's presence shown to patients follows.
   */
  changed(account: string): Promise<void>;
  close(): Promise<void>;
}

/** This process's connected accounts (the gateway's). */
export interface LocalConnections {
  isConnected(account: string): boolean;
  connectedAccounts(): string[];
}

export class LocalPresence implements Presence {
  constructor(private readonly local: LocalConnections) {}

  async isOnline(account: string): Promise<boolean> {
    return this.local.isConnected(account);
  }

  async changed(): Promise<void> {}

  async close(): Promise<void> {}
}

const key = (account: string) => `medchat:presence:${account}`;

export class RedisPresence implements Presence {
  private readonly node = randomUUID();
  private published = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private beating: Promise<void> = Promise.resolve();

  private constructor(
    private readonly redis: Redis,
    private readonly local: LocalConnections,
    private readonly beatMs: number,
  ) {
    this.timer = setInterval(() => void this.beat(), beatMs);
    this.timer.unref();
  }

  static async open(url: string, local: LocalConnections, beatMs: number): Promise<RedisPresence> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    const p = new RedisPresence(redis, local, beatMs);
    await p.beat();
    return p;
  }

  /** Publishes who is connected here now; one beat at a time. */
  beat(): Promise<void> {
    this.beating = this.beating.then(async () => {
      const now = new Set(this.local.connectedAccounts());
      const lapse = Date.now() + 3 * this.beatMs;
      const tx = this.redis.multi();
      for (const account of now) tx.zadd(key(account), lapse, this.node).pexpire(key(account), 3 * this.beatMs);
      for (const account of this.published) if (!now.has(account)) tx.zrem(key(account), this.node);
      await tx.exec().catch(() => undefined);
      this.published = now;
    });
    return this.beating;
  }

  changed(account: string): Promise<void> {
    this.beating = this.beating.then(async () => {
      const tx = this.redis.multi();
      if (this.local.isConnected(account)) {
        tx.zadd(key(account), Date.now() + 3 * this.beatMs, this.node).pexpire(key(account), 3 * this.beatMs);
        this.published.add(account);
      } else {
        tx.zrem(key(account), this.node);
        this.published.delete(account);
      }
      await tx.exec().catch(() => undefined);
    });
    return this.beating;
  }

  async isOnline(account: string): Promise<boolean> {
    if (this.local.isConnected(account)) return true;
    // Redis unreachable: assume offline, so that a notice goes out rather than none.
    const live = await this.redis.zcount(key(account), Date.now(), '+inf').catch(() => 0);
    return live > 0;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    if (this.published.size) {
      const tx = this.redis.multi();
      for (const account of this.published) tx.zrem(key(account), this.node);
      await tx.exec().catch(() => undefined);
    }
    this.redis.disconnect();
  }
}
