/**
 * A real `node:http` server for the component clients' tests: each test scripts the answers and
 * then checks what actually reached the wire (requests, bodies, peak concurrency), so the
 * clients are exercised through undici's real sockets rather than through mocks.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComponentManifest } from '@bridge/config';

export interface ReceivedRequest {
  method: string;
  /** Path without the query string, still URL-encoded as sent. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** JSON bodies parsed; form bodies (a token request) as their fields. */
  body: unknown;
}

export interface ScriptedReply {
  status: number;
  /** Sent as JSON unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** Answer only after this long, to simulate a slow component. */
  delayMs?: number;
}

/** `hit` counts requests from 1, so a script can fail the first ones and then recover. */
export type Script = (request: ReceivedRequest, hit: number) => ScriptedReply;

export class ScriptedComponentServer {
  readonly requests: ReceivedRequest[] = [];
  maxInFlight = 0;
  private inFlight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly server: Server;

  private constructor(private script: Script) {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  static async start(script: Script): Promise<ScriptedComponentServer> {
    const instance = new ScriptedComponentServer(script);
    await new Promise<void>((resolve) => instance.server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get hits(): number {
    return this.requests.length;
  }

  answer(script: Script): void {
    this.script = script;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    response.on('close', () => {
      this.inFlight -= 1;
    });
    const chunks: Buffer[] = [];
    for await (const piece of request) chunks.push(piece as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://localhost');
    const received: ReceivedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: parsedBody(text, request.headers['content-type']),
    };
    this.requests.push(received);
    const reply = this.script(received, this.requests.length);
    const send = () => {
      if (response.destroyed) return;
      const body = reply.rawBody ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(body);
    };
    if (!reply.delayMs) return send();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, reply.delayMs);
    this.timers.add(timer);
  }
}

function parsedBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return JSON.parse(text) as unknown;
}

/** A port nothing listens on, for "connection refused". */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface ManifestOverrides {
  timeoutMs?: number;
  maxConcurrency?: number;
  rateLimitPerSecond?: number;
  pageSize?: number;
  retry?: Partial<ComponentManifest['retry']>;
  circuitBreaker?: Partial<ComponentManifest['circuitBreaker']>;
  capabilities?: Partial<ComponentManifest['capabilities']>;
  auth?: ComponentManifest['auth'];
}

/** Small delays and a high breaker threshold, so that only the behaviour under test shows. */
export function testManifest(
  baseUrl: string,
  overrides: ManifestOverrides = {},
): ComponentManifest {
  return {
    baseUrl,
    timeoutMs: overrides.timeoutMs ?? 1_000,
    maxConcurrency: overrides.maxConcurrency ?? 8,
    rateLimitPerSecond: overrides.rateLimitPerSecond ?? 0,
    pageSize: overrides.pageSize ?? 100,
    retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 20, ...overrides.retry },
    circuitBreaker: {
      consecutiveFailures: 100,
      halfOpenAfterMs: 1_000,
      ...overrides.circuitBreaker,
    },
    capabilities: {
      bulkLookup: false,
      bulkLookupMax: 1_000,
      rangeDigests: false,
      artifactListing: false,
      ...overrides.capabilities,
    },
    auth: overrides.auth ?? { kind: 'none' },
  };
}
