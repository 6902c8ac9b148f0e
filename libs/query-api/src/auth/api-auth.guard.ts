/**
 * The query API's access rule: every route needs a credential (401 without one, with
 * `WWW-Authenticate: Bearer`), reads need `reader`, routes marked `@RequiresRole('admin')`
 * need `admin` (403 for a reader, recorded in the audit log), and HTTP ingestion needs
 * `producer` (a role that reads nothing). The caller is put on the request
 * for the handlers (who resolved, who approved).
 */
import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AdminAudit } from '../audit/admin-audit';
import { ApiCredentials, roleAllows, type Principal } from './api-credentials';
import { requiredRoleOf } from './required-role';

export { RequiresRole } from './required-role';

/** The request as the API's handlers see it, with its caller. */
export type { AuthenticatedRequest } from './api-credentials';

@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    private readonly credentials: ApiCredentials,
    private readonly reflector: Reflector,
    private readonly audit: AdminAudit,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { principal?: Principal }>();
    const needed = requiredRoleOf(this.reflector, context);
    const principal = await this.credentials.authenticate(request.headers.authorization);
    if (!principal) {
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedException(
        needed === 'producer'
          ? 'a bearer token with the producer role is required'
          : 'a bearer token (reader or admin) is required',
      );
    }
    if (!roleAllows(principal.role, needed)) {
      const refusal = new ForbiddenException(
        `this needs the ${needed} role; ${principal.name} is a ${principal.role}`,
      );
      // An attempt at an admin action by a reader is audited like any other refusal.
      await this.audit.refused(context, principal, refusal);
      throw refusal;
    }
    request.principal = principal;
    return true;
  }
}
