/**
 * A TCP proxy between clients and the server that misbehaves on command: it cuts every connection
 * (a phone losing its network), refuses new ones while "down", and delays bytes from the server (slow
 * acks). WebSocket frames pass through unparsed, so what the client sees is what a bad network does.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class FlakyProxy {
  /** Milliseconds added to every chunk from the server to the client. */
  delayMs = 0;
  private down = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly server: Server;
  port = 0;

  constructor(private readonly target: () => number) {
    this.server = createServer((client) => this.accept(client));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target(), '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk) => upstream.write(chunk));
    // Latency, not a bandwidth cap: each chunk leaves `delayMs` after it came, never before the one
    // ahead of it (timers due in non-decreasing order fire in order).
    let lastAt = 0;
    upstream.on('data', (chunk) => {
      const at = Math.max(lastAt, Date.now() + this.delayMs);
      lastAt = at;
      const wait = at - Date.now();
      if (wait <= 0) client.write(chunk);
      else setTimeout(() => client.write(chunk), wait);
    });
  }

  /** Cuts every open connection at once. */
  dropAll(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  /** Cuts one connection at random. */
  dropOne(random: () => number = Math.random): void {
    const all = [...this.pairs];
    const pair = all[Math.floor(random() * all.length)];
    if (!pair) return;
    pair[0].destroy();
    pair[1].destroy();
    this.pairs.delete(pair);
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) this.dropAll();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
