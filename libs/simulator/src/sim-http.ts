/**
 * HTTP settings the simulator's Nest application needs beyond the defaults. Apply them (in
 * `main.ts`, and in any test or process that boots `ComponentSimModule` and serves it) before
 * `init()`/`listen()`:
 *
 * - the JSON body limit is raised from express's 100 kB, so that a 1,000-key bulk lookup with
 *   long external ids is judged by the lookup rule (at most 1,000 keys, else 413), not by the
 *   size of its body;
 * - only JSON bodies are parsed: create the application with `SIM_HTTP_OPTIONS` so that Nest does
 *   not also run its url-encoded parser on every request (a tenth of the simulator's CPU in the
 *   repair benchmark, for a body type no component API takes);
 * - ETags are off: express would hash every response body (a 1,000-result lookup included) for
 *   conditional requests no Bridge client makes, at a cost the benchmark's hot path feels.
 */
import type { NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

export const SIM_JSON_BODY_LIMIT = '2mb';

/** Options to create the simulator's application with (see above). */
export const SIM_HTTP_OPTIONS: NestApplicationOptions = { bodyParser: false };

export function configureSimHttp(app: NestExpressApplication): NestExpressApplication {
  app.useBodyParser('json', { limit: SIM_JSON_BODY_LIMIT });
  app.set('etag', false);
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  return app;
}
