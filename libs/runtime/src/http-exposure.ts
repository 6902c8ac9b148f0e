/**
 * What every service's HTTP server lets in, before any route runs:
 *
 * - **Host names.** A request whose `Host` is not an allowed name is refused (403). A server
 *   bound to loopback takes loopback names only unless `HTTP_ALLOWED_HOSTS` says otherwise: a
 *   web page on another domain that the attacker rebinds to 127.0.0.1 (DNS rebinding) reaches
 *   the port from the user's own browser, but still sends its own domain as `Host`.
 * - **Trusted proxies.** Express's `trust proxy` from `HTTP_TRUST_PROXY`, so that the client
 *   address the rate limit and the audit log see is the one a known proxy forwarded, and a
 *   forged `X-Forwarded-For` from anyone else is ignored.
 * - **The management port.** With `MANAGEMENT_PORT`, `/metrics` and `/health*` are served on
 *   that port only (the same application, a second listener), and nowhere else: the main port
 *   can face users while metrics stay on the cluster network.
 *
 * The decisions are pure functions, exported for their tests.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { HttpConfig } from '@bridge/config';

/** The host name of a `Host` header, lower case, without port or IPv6 brackets. */
export function hostNameOf(header: string | undefined): string | null {
  if (!header) return null;
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1];
  const named = /^([^:]+)(?::\d+)?$/.exec(value);
  return named ? named[1] : null;
}

/** Whether a request with this `Host` header may be served; `allowed` null: any. */
export function isAllowedHost(header: string | undefined, allowed: readonly string[] | null) {
  if (allowed === null) return true;
  const name = hostNameOf(header);
  return name !== null && allowed.includes(name);
}

/** Paths served on the management port when there is one (and only there). */
export function isManagementPath(path: string): boolean {
  return path === '/metrics' || path === '/health' || path.startsWith('/health/');
}

/**
 * Whether a request may be served on the port it arrived at: with a management port, the
 * management paths there and nothing else, the rest on the main port.
 */
export function servedOnPort(
  path: string,
  localPort: number | undefined,
  managementPort: number | null,
): boolean {
  if (managementPort === null) return true;
  return (localPort === managementPort) === isManagementPath(path);
}

/** Applies the `Host` check and `trust proxy`; call before anything else is mounted. */
export function applyHttpExposure(app: NestExpressApplication, http: HttpConfig): void {
  app.set('trust proxy', http.trustProxy);
  const allowed = http.allowedHosts;
  if (allowed === null) return;
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (isAllowedHost(request.headers.host, allowed)) {
      next();
      return;
    }
    response.status(403).json({
      statusCode: 403,
      error: 'Forbidden',
      message: `Host ${hostNameOf(request.headers.host) ?? '(none)'} is not a name this server answers to (HTTP_ALLOWED_HOSTS)`,
    });
  });
}

/**
 * With a management port: the main port stops serving the management paths, and a second
 * listener serves them (and only them) from the same application. Closed with the
 * application's server. Call after `listen`; `gateManagementPaths` mounts the gate before.
 */
export async function listenForManagement(
  app: NestExpressApplication,
  http: HttpConfig,
): Promise<void> {
  if (http.managementPort === undefined) return;
  const server = createServer(app.getHttpAdapter().getInstance() as never);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(http.managementPort, http.host, resolve);
  });
  app.getHttpServer().once('close', () => server.close());
  const { port } = server.address() as AddressInfo;
  new Logger('http').log(`metrics and health on http://${http.host}:${port}`);
}

/** Mounts the per-port gate of the management paths (a no-op without a management port). */
export function gateManagementPaths(app: NestExpressApplication, http: HttpConfig): void {
  const managementPort = http.managementPort;
  if (managementPort === undefined) return;
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (servedOnPort(request.path, request.socket.localPort, managementPort)) {
      next();
      return;
    }
    response.status(404).json({
      statusCode: 404,
      error: 'Not Found',
      message: isManagementPath(request.path)
        ? 'metrics and health are served on the management port (MANAGEMENT_PORT)'
        : 'the management port serves only /metrics and /health',
    });
  });
}
