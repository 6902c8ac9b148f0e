/**
 * What the one-process start (`npm start`) lets in on its single HTTP port, where the query
 * API, the console and the simulated components share one server:
 *
 * - the simulator's admin routes (`/sim/*`, which can fabricate runs, delete entities and
 *   read the ground truth) answer only an admin credential of the query API;
 * - the simulated Cappella, Hippo and Canon answer only clients on this machine (Bridge itself
 *   calls them over loopback), so binding `HTTP_HOST=0.0.0.0` to share the console does not
 *   hand the components to the network;
 * - JSON bodies: the components' bulk routes take up to `SIM_JSON_BODY_LIMIT` (a 1,000-key
 *   lookup), every other route the query API's `API_JSON_BODY_LIMIT` (413 beyond).
 *
 * The `Host` check against DNS rebinding applies to every service and is mounted by the
 * runtime before this (see `applyHttpExposure` in `@bridge/runtime`).
 */
import type { IncomingMessage } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type Response } from 'express';
import { COMPONENTS } from '@bridge/config';
import { ApiCredentials, roleAllows } from '@bridge/query-api';
import { SIM_JSON_BODY_LIMIT } from '@bridge/simulator';

const COMPONENT_PREFIXES = COMPONENTS.map((name) => `/${name}`);
const SIM_ADMIN_PREFIX = '/sim';

/** Whether a connection comes from this machine. */
export function isLoopbackClient(remoteAddress: string | undefined): boolean {
  if (!remoteAddress) return false;
  const address = remoteAddress.replace(/^::ffff:/, '');
  return address === '::1' || address.startsWith('127.');
}

export function configureEmbeddedHttp(
  app: NestExpressApplication,
  credentials: ApiCredentials,
): void {
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(COMPONENT_PREFIXES, componentsFromThisMachineOnly);
  app.use(SIM_ADMIN_PREFIX, simAdminForAdminsOnly(credentials));
  // Mounted before the API's own parser (`configureApiHttp`), which leaves a body already read
  // alone: the components' larger limit holds on their paths only.
  app.use(COMPONENT_PREFIXES, json({ limit: SIM_JSON_BODY_LIMIT }));
}

function componentsFromThisMachineOnly(request: Request, response: Response, next: NextFunction) {
  if (isLoopbackClient(socketAddressOf(request))) {
    next();
    return;
  }
  response.status(403).json({
    statusCode: 403,
    error: 'Forbidden',
    message: 'the simulated components answer only clients on this machine',
  });
}

function simAdminForAdminsOnly(credentials: ApiCredentials) {
  return (request: Request, response: Response, next: NextFunction) => {
    credentials.authenticate(request.headers.authorization).then(
      (principal) => {
        if (principal && roleAllows(principal.role, 'admin')) {
          next();
          return;
        }
        response.status(principal ? 403 : 401).json({
          statusCode: principal ? 403 : 401,
          error: principal ? 'Forbidden' : 'Unauthorized',
          message: 'the simulator admin routes need an admin credential of the query API',
        });
      },
      (error: unknown) => next(error),
    );
  };
}

/** The peer of the TCP connection itself: a forwarded header must not make a client local. */
function socketAddressOf(request: IncomingMessage): string | undefined {
  return request.socket.remoteAddress;
}
