/**
 * The role a query API route needs, as route metadata: set by `@RequiresRole` (reader by
 * default), read by `ApiAuthGuard` to let a caller through and by the admin audit to know which
 * calls are admin actions. Apart from the guard so that both can read it without importing each
 * other.
 */
import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { ApiRole } from '@bridge/config';

const REQUIRED_ROLE = 'bridge:required-role';

/** The role a route needs (default: `reader`). */
export const RequiresRole = (role: ApiRole) => SetMetadata(REQUIRED_ROLE, role);

/** The role the route being called needs, from its handler or else its controller. */
export function requiredRoleOf(reflector: Reflector, context: ExecutionContext): ApiRole {
  return (
    reflector.getAllAndOverride<ApiRole | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]) ?? 'reader'
  );
}
