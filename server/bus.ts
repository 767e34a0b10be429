/**
 * Fan-out between server processes (REDIS_URL): each process delivers to its own connections at once
 * and publishes the event; the others deliver it to theirs. Payloads are sealed with the data key
 * (the same DATA_KEYS on every process), so message text never crosses Redis in the clear.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { PushFrame } from '../types/protocol';
import type { Cipher } from './crypto';
import type { StoredMessage } from './storage/types';

/** A push frame for every connection of one account. */
export interface AccountPush {
  account: string;
  frame: PushFrame;
}

/** A stored message for the members' connections, push frames by account, or a revoked session to disconnect. */
export type BusEvent =
  | { kind: 'msg'; msg: StoredMessage; members: string[] }
  | { kind: 'push'; pushes: AccountPush[] }
  | { kind: 'revoke'; account: string; sid: string; at: number };

export interface Bus {
  publish(e: BusEvent): void;
  /** Events published by the other processes. */
  subscribe(handler: (e: BusEvent) => void): void;
  /** Whether the bus is reachable now (for /readyz); resolves false instead of waiting past `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const CHANNEL = 'medchat:events';

export class RedisBus implements Bus {
  private readonly node = randomUUID();
  private readonly handlers: Array<(e: BusEvent) => void> = [];

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly cipher: Cipher,
    private readonly onLag?: (ms: number) => void,
  ) {
    sub.on('messageBuffer', (_channel: Buffer, data: Buffer) => this.receive(data.toString()));
  }

  /** `onLag`: for each event from another process, milliseconds from its publishing to its arrival here. */
  static async open(url: string, cipher: Cipher, onLag?: (ms: number) => void): Promise<RedisBus> {
    const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
    const sub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(CHANNEL);
    return new RedisBus(pub, sub, cipher, onLag);
  }

  private receive(sealed: string): void {
    const { node, event, at } = JSON.parse(this.cipher.open(sealed)) as { node: string; event: BusEvent; at?: number };
    if (node === this.node) return;
    if (at !== undefined) this.onLag?.(Date.now() - at);
    for (const h of this.handlers) h(event);
  }

  publish(event: BusEvent): void {
    // Pub/sub is fire-and-forget: a process that misses an event has clients that sync on reconnect.
    void this.pub.publish(CHANNEL, this.cipher.seal(JSON.stringify({ node: this.node, event, at: Date.now() }))).catch(() => undefined);
  }

  subscribe(handler: (e: BusEvent) => void): void {
    this.handlers.push(handler);
  }

  async ping(timeoutMs: number): Promise<boolean> {
    if (this.sub.status !== 'ready' || this.pub.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const pong = this.pub.ping().then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([pong, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
