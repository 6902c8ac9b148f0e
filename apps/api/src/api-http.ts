/**
 * What the API needs on the HTTP server before it listens, wherever it runs (its own process
 * or `npm start`): security headers on every answer (helmet: no sniffing, no framing, no
 * referrer, HSTS; the console sets its own Content-Security-Policy, the OpenAPI page needs
 * inline scripts), the OpenAPI document and page, and the operator console.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { mountConsole } from './console/operator-console';
import { mountApiDocs } from './openapi';

export function configureApiHttp(app: NestExpressApplication): void {
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  mountApiDocs(app);
  mountConsole(app);
}
