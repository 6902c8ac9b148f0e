/**
 * HTTP settings the simulator's Nest application needs beyond the defaults. Apply them (in
 * `main.ts`, and in any test or process that boots `ComponentSimModule` and serves it) before
 * `init()`/`listen()`:
 *
 * - the JSON body limit is raised from express's 100 kB, so that a 1,000-key bulk lookup with
 *   long external ids is judged by the lookup rule (at most 1,000 keys, else 413), not by the
 *   size of its body;
 * - ETags are off: express would hash every response body (a 1,000-result lookup included) for
 *   conditional requests no Bridge client makes, at a cost the benchmark's hot path feels.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';

export const SIM_JSON_BODY_LIMIT = '2mb';

export function configureSimHttp(app: NestExpressApplication): NestExpressApplication {
  app.useBodyParser('json', { limit: SIM_JSON_BODY_LIMIT });
  app.set('etag', false);
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  return app;
}
