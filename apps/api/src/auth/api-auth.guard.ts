/**
 * The query API's access rule: every route needs a credential (401 without one, with
 * `WWW-Authenticate: Bearer`), reads need `reader`, and routes marked `@RequiresRole('admin')`
 * need `admin` (403 for a reader). The caller is put on the request for the handlers (who
 * resolved, who approved).
 */
import {
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { ApiRole } from '@bridge/config';
import { ApiCredentials, roleAllows, type Principal } from './api-credentials';

const REQUIRED_ROLE = 'bridge:required-role';

/** The role a route needs (default: `reader`). */
export const RequiresRole = (role: ApiRole) => SetMetadata(REQUIRED_ROLE, role);

/** The request as the API's handlers see it, with its caller. */
export type AuthenticatedRequest = Request & { principal: Principal };

@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    private readonly credentials: ApiCredentials,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { principal?: Principal }>();
    const needed =
      this.reflector.getAllAndOverride<ApiRole | undefined>(REQUIRED_ROLE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'reader';
    const principal = await this.credentials.authenticate(request.headers.authorization);
    if (!principal) {
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedException('a bearer token (reader or admin) is required');
    }
    if (!roleAllows(principal.role, needed)) {
      throw new ForbiddenException(
        `this needs the ${needed} role; ${principal.name} is a ${principal.role}`,
      );
    }
    request.principal = principal;
    return true;
  }
}
