import { createServer, type Server, type Socket, connect } from 'node:net';

export type ProxyMode = 'pass' | 'drop' | 'stall';

/**
 * A loopback TCP proxy the tests put between the gateway and PostgreSQL to break the network on
 * purpose: 'drop' resets every connection and every new one, 'stall' accepts and forwards
 * nothing (a hung server), 'pass' forwards normally. Leaving a faulty mode destroys the
 * connections it spoiled, as a real network recovering would.
 */
export class TcpFaultProxy {
  private server: Server | undefined;
  private mode: ProxyMode = 'pass';
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  setMode(mode: ProxyMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'drop' || (previous === 'stall' && mode === 'pass')) this.destroyAll();
    if (mode === 'stall') {
      for (const { client, upstream } of this.pairs) {
        client.pause();
        upstream.pause();
      }
    }
  }

  async close(): Promise<void> {
    this.destroyAll();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.mode === 'drop') return void client.resetAndDestroy();
    const upstream = connect(this.target.port, this.target.host);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream };
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget);
    upstream.on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.mode === 'stall') {
      client.pause();
      upstream.pause();
    }
  }

  private destroyAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }
}
