/**
 * A TCP link between Bridge's services and one dependency, which the fault suite can cut: a
 * network partition without touching the dependency itself (the schema registry keeps running
 * for everyone else, the simulator included).
 *
 * Cutting the link resets the connections it carries (what a client sees when a partition
 * breaks a connection in use), and from then on new connections are accepted but never
 * answered, as a partition that drops packets looks to a new client: a timeout, not a refusal.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export class TcpLink {
  private readonly sockets = new Set<Socket>();
  private cut = false;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** A link on a free local port, forwarding to `host:port`. */
  static async open(host: string, port: number): Promise<TcpLink> {
    const server = createServer();
    const link = new TcpLink(server, { host, port });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return link;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get partitioned(): boolean {
    return this.cut;
  }

  /** Cuts the link: every open connection goes, new ones hang. */
  partition(): void {
    this.cut = true;
    this.dropAll();
  }

  /** Restores the link; the connections left hanging are closed so that clients retry. */
  heal(): void {
    this.cut = false;
    this.dropAll();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.server.close(() => resolve(undefined)));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.cut) return; // held open, never answered
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
