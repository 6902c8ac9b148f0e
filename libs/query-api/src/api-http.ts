/**
 * What the API needs on the HTTP server before it listens, wherever it runs (its own process
 * or `npm start`): security headers on every answer (helmet: no sniffing, no framing, no
 * referrer, HSTS; the console sets its own Content-Security-Policy, the OpenAPI page needs
 * inline scripts), HTTP ingestion's larger body limit, a rate limit per client address on the API's routes (express-rate-limit,
 * `API_RATE_LIMIT_PER_MINUTE`; it runs before authentication, so guessing tokens is slow too),
 * the OpenAPI document and page, and the operator console.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { API_PREFIX } from './api-prefix';
import { consoleAssetsDir, mountConsole } from './console/operator-console';
import { mountApiDocs } from './openapi';

/** Where HTTP ingestion takes its batches (`POST /ingest/{topic}`). */
export const INGEST_PATH = `${API_PREFIX}/ingest`;

/** Largest JSON body the query API reads (a 413 beyond): its bodies are a reason or a filter. */
export const API_JSON_BODY_LIMIT = '100kb';

export function configureApiHttp(app: NestExpressApplication): void {
  const config = app.get<BridgeConfig>(BRIDGE_CONFIG);
  // HTTP ingestion's batches are larger than a reason or a filter: its own limit, on its path
  // only, mounted first (the general parser leaves a body already read alone).
  app.use(`/${INGEST_PATH}`, json({ limit: config.api.ingest.bodyLimitBytes }));
  app.useBodyParser('json', { limit: API_JSON_BODY_LIMIT });
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  const { rateLimitPerMinute } = config.api;
  if (rateLimitPerMinute > 0) {
    app.use(
      `/${API_PREFIX}`,
      rateLimit({
        windowMs: 60_000,
        limit: rateLimitPerMinute,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        // The API's own error shape, with the wait in Retry-After (set by the limiter).
        message: {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `more than ${rateLimitPerMinute} requests in a minute from this address; wait and try again`,
        },
      }),
    );
  }
  mountApiDocs(app);
  mountConsole(app, consoleAssetsDir(config.http.consoleDir));
}
