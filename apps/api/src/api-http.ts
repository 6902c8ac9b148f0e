/**
 * What the API needs on the HTTP server before it listens, wherever it runs (its own process
 * or `npm start`): the OpenAPI document and page, and the operator console.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mountConsole } from './console/operator-console';
import { mountApiDocs } from './openapi';

export function configureApiHttp(app: NestExpressApplication): void {
  mountApiDocs(app);
  mountConsole(app);
}
