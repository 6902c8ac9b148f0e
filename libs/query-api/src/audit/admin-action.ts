/**
 * `@AdminAction`, how a query API route becomes an admin action: it needs the admin role
 * (`@RequiresRole('admin')`) and says what the audit log records about each call (the action's
 * name, its object, which parts of the request and answer to keep). `AdminAudit` reads the
 * declaration back; a route that needs the admin role without one is still audited, under its
 * handler's name, and `admin-action.spec.ts` fails until it declares one.
 */
import { applyDecorators, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { RequiresRole } from '../auth/required-role';
import type { AuditedAction } from './admin-audit-entry';

const AUDITED_ACTION = 'bridge:audited-action';

export function AdminAction(audited: AuditedAction): MethodDecorator {
  return applyDecorators(RequiresRole('admin'), SetMetadata(AUDITED_ACTION, audited));
}

/** What a handler's `@AdminAction` declares, or undefined when it has none. */
export function declaredActionOf(
  reflector: Reflector,
  handler: ReturnType<ExecutionContext['getHandler']>,
): AuditedAction | undefined {
  return reflector.get<AuditedAction | undefined>(AUDITED_ACTION, handler);
}
