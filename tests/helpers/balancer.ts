/**
 * A TCP load balancer in front of several server processes, as nginx's upstream with its default
 * proxy_next_upstream: each new connection goes to the next backend in turn, and to the one after it
 * when that one refuses (stopped, or restarting). Bytes pass through unparsed (WebSockets included).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class Balancer {
  port = 0;
  /** Connections that reached each backend port, for tests that check the spread. */
  readonly served = new Map<number, number>();
  private next = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly backends: () => number[]) {
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
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const ports = this.backends();
    const start = this.next++;
    const attempt = (i: number) => {
      if (i >= ports.length || client.destroyed) {
        client.destroy();
        return;
      }
      const port = ports[(start + i) % ports.length];
      const upstream = connect(port, '127.0.0.1');
      let connected = false;
      upstream.once('error', () => {
        if (!connected) attempt(i + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        this.served.set(port, (this.served.get(port) ?? 0) + 1);
        this.sockets.add(upstream);
        upstream.once('close', () => {
          this.sockets.delete(upstream);
          client.destroy();
        });
        client.once('close', () => upstream.destroy());
        upstream.on('error', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    attempt(0);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
