/**
 * The gate every request to a simulated component passes before its handler: counts the hit,
 * asks the fault plan, and carries the decision out (delay, 5xx, 429 with `Retry-After`, or a
 * hold then 504).
 *
 * An express-level middleware rather than a Nest interceptor: an interceptor wraps every
 * request in observables and async resources, which measurably slowed the benchmark's hot
 * endpoints; here a request without faults costs a route match, two counter updates and one
 * Map lookup. Injected errors are answered in the body shape Nest uses for its own errors.
 */
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ComponentRoutes } from './component-routes';
import { FaultInjector } from './fault-injector';
import { HitCounter } from './hit-counter';

@Injectable()
export class ComponentGateMiddleware implements NestMiddleware {
  constructor(
    private readonly faults: FaultInjector,
    private readonly hits: HitCounter,
    @Inject(ComponentRoutes) private readonly routes: ComponentRoutes,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const url = req.originalUrl;
    const query = url.indexOf('?');
    const route = this.routes.match(req.method, query === -1 ? url : url.slice(0, query));
    if (!route) {
      next(); // not a component endpoint: Nest answers 404 as usual
      return;
    }
    const { component } = route;
    this.hits.hit(component, route.label);
    const decision = this.faults.decide(component);
    switch (decision.kind) {
      case 'pass':
        if (decision.delayMs === 0) {
          next();
          return;
        }
        this.hits.fault(component, 'slow');
        setTimeout(next, decision.delayMs);
        return;
      case 'fail':
        this.hits.fault(component, decision.reason);
        this.answerAfter(res, decision.delayMs, decision.status, `${component} ${decision.reason}`);
        return;
      case 'throttle':
        this.hits.fault(component, 'throttle');
        res.setHeader('Retry-After', String(decision.retryAfterSeconds));
        this.answerAfter(res, decision.delayMs, 429, `${component} throttled`);
        return;
      case 'hang': {
        this.hits.fault(component, 'timeout');
        // Answered 504 after the hold; released early when faults are cleared or the app
        // stops; forgotten when the client gives up first.
        const cancel = this.faults.hold(decision.holdMs, () =>
          answer(res, 504, `${component} timeout`),
        );
        res.once('close', cancel);
        return;
      }
    }
  }

  private answerAfter(res: Response, delayMs: number, status: number, what: string): void {
    if (delayMs === 0) answer(res, status, what);
    else setTimeout(() => answer(res, status, what), delayMs);
  }
}

function answer(res: Response, status: number, what: string): void {
  if (res.headersSent || res.writableEnded) return;
  res
    .status(status)
    .json({ statusCode: status, error: 'Injected fault', message: `injected fault: ${what}` });
}
