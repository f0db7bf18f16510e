/**
 * A TCP proxy on loopback in front of a dependency (the PostgreSQL server, Redis, S3, SQS), so a
 * test can take that dependency away from one service process without touching the real server
 * that other tests share:
 * - `down()`: every connection is cut (a reset) and new ones are closed at once, as a stopped server;
 * - `blackhole()`: connections stay open but nothing passes either way, as a network that drops
 *   packets (no reset, no answer: only a timeout can tell);
 * - `up()`: connections pass again (the black-holed ones are cut, as their peers have long given up).
 */
import net from 'node:net';
import { once } from 'node:events';

type Mode = 'up' | 'down' | 'blackhole';

export class TcpProxy {
  private mode: Mode = 'up';
  private readonly pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  private readonly server: net.Server;
  port = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    /** Connections accepted while up, in all (a check that the service really came through here). */
    public connections = 0,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(target: string): Promise<TcpProxy> {
    const url = new URL(target.includes('://') ? target : `tcp://${target}`);
    const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port) });
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (this.mode === 'down') return void client.resetAndDestroy();
    const pair: { client: net.Socket; upstream?: net.Socket } = { client };
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('close', forget);
    if (this.mode === 'blackhole') return; // held open, never answered
    this.connections++;
    const upstream = net.connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => {});
    upstream.on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  down(): void {
    this.mode = 'down';
    for (const pair of this.pairs) {
      pair.client.resetAndDestroy();
      pair.upstream?.destroy();
    }
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const { client, upstream } of this.pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  up(): void {
    if (this.mode === 'blackhole') this.down();
    this.mode = 'up';
  }

  async close(): Promise<void> {
    this.down();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
