/**
 * The query API's OpenAPI document, generated from its controllers (`@nestjs/swagger`), served
 * as JSON at `OPENAPI_JSON_PATH` and as an interactive page at `OPENAPI_PAGE_PATH` (where a
 * bearer token can be entered to try the calls). Only the API's routes are in it.
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiModule } from './api.module';
import { API_PREFIX } from './api-prefix';

export const OPENAPI_JSON_PATH = `${API_PREFIX}/openapi.json`;
export const OPENAPI_PAGE_PATH = `${API_PREFIX}/docs`;

export function mountApiDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Bridge Sync query and admin API')
      .setDescription(
        'The sync event log, scans and repairs. Reads need a reader token, writes an admin one.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { include: [ApiModule] },
  );
  SwaggerModule.setup(OPENAPI_PAGE_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    swaggerOptions: { persistAuthorization: true },
  });
}
