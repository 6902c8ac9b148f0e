/**
 * A TCP link between Bridge's services and one dependency (the schema registry, a Kafka node,
 * PostgreSQL), which the fault suites degrade or cut: a network fault without touching the
 * dependency itself, which keeps serving everyone else (the simulator included).
 *
 * - `partition()` resets the connections it carries (what a client sees when a partition breaks
 *   a connection in use), and from then on new connections are accepted but never answered, as
 *   a partition that drops packets looks to a new client: a timeout, not a refusal.
 * - `hang()` is a half-open link: every connection stays open and nothing more crosses it in
 *   either direction, so a client learns of it only from its own timeouts.
 * - `degrade({ latencyMs, bytesPerSecond })` delays every chunk, and paces each direction to a
 *   bandwidth, keeping the order of the bytes.
 * - `cutAfterProduce(n)` (a Kafka link) lets the next `n` produce requests reach the broker whole,
 *   then cuts each such connection as the broker's answer comes back, before the client reads
 *   it: the broker wrote the records, the client cannot know.
 * - `heal()` ends any of these; the connections a fault left behind are closed so that clients
 *   reconnect.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { KafkaRequestFrames, PRODUCE_API_KEY } from './kafka-request-frames';

export interface LinkDegradation {
  /** Added to every chunk, each way. */
  latencyMs?: number;
  /** Each direction of each connection paced to this rate. */
  bytesPerSecond?: number;
}

type Mode = 'open' | 'partitioned' | 'hung';

export class TcpLink {
  private readonly sockets = new Set<Socket>();
  private mode: Mode = 'open';
  private degradation: LinkDegradation = {};
  private producesToCut = 0;
  /** Produce requests let through and cut before their answers, since the link was opened. */
  cutProduces = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** A link on `port` (a free one if 0), forwarding to `host:targetPort`. */
  static async open(host: string, targetPort: number, port = 0): Promise<TcpLink> {
    const server = createServer();
    const link = new TcpLink(server, { host, port: targetPort });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return link;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get partitioned(): boolean {
    return this.mode === 'partitioned';
  }

  /** Cuts the link: every open connection goes, new ones hang. */
  partition(): void {
    this.mode = 'partitioned';
    this.dropAll();
  }

  /** Half-open: connections stay, nothing crosses them any more, new ones are never answered. */
  hang(): void {
    this.mode = 'hung';
  }

  degrade(degradation: LinkDegradation): void {
    this.degradation = { ...degradation };
  }

  /** Cuts each of the next `count` connections that carry a whole produce request, see above. */
  cutAfterProduce(count: number): void {
    this.producesToCut = count;
  }

  /** Restores the link; the connections a fault left hanging are closed so that clients retry. */
  heal(): void {
    const wasBroken = this.mode !== 'open';
    this.mode = 'open';
    this.degradation = {};
    this.producesToCut = 0;
    if (wasBroken) this.dropAll();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.server.close(() => resolve(undefined)));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode !== 'open') return; // held open, never answered
    const upstream = connect(this.target.port, this.target.host);
    this.track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const requests = new KafkaRequestFrames();
    let doomed = false; // a produce went through whole: its answer must not come back
    this.forward(client, upstream, (chunk) => {
      if (this.producesToCut === 0) return;
      let completed: number[];
      try {
        completed = requests.push(chunk);
      } catch {
        return; // not a Kafka link: nothing to cut
      }
      if (completed.includes(PRODUCE_API_KEY) && !doomed) {
        doomed = true;
        this.producesToCut -= 1;
      }
    });
    this.forward(upstream, client, () => {
      if (!doomed) return true;
      this.cutProduces += 1;
      client.destroy();
      upstream.destroy();
      return false;
    });
  }

  /**
   * Copies `from` to `to` under the link's mode and degradation. `inspect` sees each chunk as it
   * arrives (before any delay); returning false drops the chunk.
   *
   * Delayed chunks wait in one queue per direction, drained by one timer, never a timer per
   * chunk: Node runs every due timer of one duration before those of another, so with a late
   * event loop chunks timed separately can leave out of order, and a TCP stream with its bytes
   * reordered is a protocol error the fault never meant (PostgreSQL then waits for ever for the
   * rest of a message).
   */
  private forward(from: Socket, to: Socket, inspect: (chunk: Buffer) => boolean | void): void {
    const delayed = new OrderedDelay((chunk) => {
      if (this.mode === 'open' && !to.destroyed) to.write(chunk);
    });
    from.on('close', () => delayed.clear());
    from.on('data', (chunk: Buffer) => {
      if (this.mode !== 'open') return; // hung: swallowed; partitioned: the socket is gone
      if (inspect(chunk) === false) return;
      const { latencyMs = 0, bytesPerSecond } = this.degradation;
      if (latencyMs === 0 && !bytesPerSecond && delayed.idle) {
        to.write(chunk);
        return;
      }
      delayed.push(chunk, latencyMs, bytesPerSecond);
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

/**
 * Chunks released in the order they came, each no sooner than its latency after its arrival and
 * paced to a bandwidth: one timer at a time, for the head of the queue.
 */
export class OrderedDelay {
  private readonly queue: Array<{ chunk: Buffer; at: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly release: (chunk: Buffer) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Nothing waiting: a chunk may pass at once without overtaking any. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  push(chunk: Buffer, latencyMs: number, bytesPerSecond?: number): void {
    // None may leave before the one ahead of it.
    let at = Math.max(this.now() + latencyMs, this.queue.at(-1)?.at ?? 0);
    if (bytesPerSecond) at += (chunk.length * 1000) / bytesPerSecond;
    this.queue.push({ chunk, at });
    this.schedule();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = this.now();
        while (this.queue.length > 0 && this.queue[0].at <= now) {
          const head = this.queue.shift();
          if (head) this.release(head.chunk);
        }
        this.schedule();
      },
      Math.max(0, Math.ceil(this.queue[0].at - this.now())),
    );
  }
}
