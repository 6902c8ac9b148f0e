/**
 * The check every request to a simulated component passes first, before the fault gate
 * (`ComponentGateMiddleware`): with `SIM_AUTH=bearer` or `oauth2` a request without an accepted
 * bearer token is answered 401 and goes no further, so it is neither counted as a hit nor
 * served a fault, as behind a real component's authenticating gateway.
 */
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ComponentAuthority } from './component-authority';

@Injectable()
export class ComponentAuthMiddleware implements NestMiddleware {
  constructor(@Inject(ComponentAuthority) private readonly authority: ComponentAuthority) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const authorization = req.headers.authorization;
    if (this.authority.authenticates(authorization)) {
      next();
      return;
    }
    // RFC 6750 §3.1: no error code when the request carried no token at all.
    res.setHeader(
      'WWW-Authenticate',
      authorization === undefined
        ? 'Bearer realm="component-sim"'
        : 'Bearer realm="component-sim", error="invalid_token"',
    );
    res.status(401).json({
      statusCode: 401,
      error: 'Unauthorized',
      message: authorization === undefined ? 'bearer token required' : 'token not accepted',
    });
  }
}
