/**
 * The query API's OpenAPI document, generated from its controllers (`@nestjs/swagger`), served
 * as JSON at `OPENAPI_JSON_PATH` and as an interactive page at `OPENAPI_PAGE_PATH` (where a
 * bearer token can be entered to try the calls). Only the API's routes are in it.
 *
 * Next to it, at `ASYNCAPI_JSON_PATH`, the AsyncAPI document of Bridge's Kafka topics
 * (`asyncApiDocument()` of the contracts, the same as docs/asyncapi.yaml). Both are served
 * without a token, like the page: they describe the interfaces, not the data behind them.
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { asyncApiDocument } from '@bridge/contracts';
import { ApiModule } from './api.module';
import { API_PREFIX } from './api-prefix';

export const OPENAPI_JSON_PATH = `${API_PREFIX}/openapi.json`;
export const OPENAPI_PAGE_PATH = `${API_PREFIX}/docs`;
export const ASYNCAPI_JSON_PATH = `${API_PREFIX}/asyncapi.json`;

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
  mountAsyncApiDocument(app);
}

function mountAsyncApiDocument(app: INestApplication): void {
  // The document changes only with a new build, so it is serialised once.
  const body = JSON.stringify(asyncApiDocument());
  const http = app.getHttpAdapter();
  // On the HTTP adapter, as SwaggerModule serves the OpenAPI JSON: outside the controllers, so
  // no guard asks for a token.
  http.get(`/${ASYNCAPI_JSON_PATH}`, (_request: unknown, response: unknown) => {
    http.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    http.reply(response, body, 200);
  });
}
