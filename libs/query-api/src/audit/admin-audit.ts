/**
 * The admin audit: every call of an admin action through the query API leaves an entry in the
 * audit log, whoever made it and however it ended. `AdminAuditInterceptor` runs it around each
 * admin route's handler; `ApiAuthGuard` records a caller refused for lacking the admin role.
 * Which calls count: routes that need the admin role (see `@AdminAction`), except reads (GET),
 * which change nothing; calls without a valid credential are not audited (there is nobody to
 * name, and the rate limit already slows guessing).
 *
 * Write-ahead rather than the action's own transaction: the entry is written as `pending`
 * before the handler runs and settled with the outcome after. Not every action is a database
 * transaction (a requeue publishes to Kafka, an approval runs in the repair library's own
 * writes), so one transaction could not hold them all; written first, an entry cannot be
 * missing for an action that ran. If the database refuses the pending entry, the action does
 * not run; if it refuses the settlement, the caller gets a 5xx and the entry stays `pending`,
 * saying the action was tried with an outcome the log does not know.
 */
import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditLog } from '@bridge/store';
import type { AuthenticatedRequest, Principal } from '../auth/api-credentials';
import { requiredRoleOf } from '../auth/required-role';
import { declaredActionOf } from './admin-action';
import { auditEntryOf, type AdminCall, type AuditedAction } from './admin-audit-entry';

/** Methods that read: an admin-only read is not an action to audit. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

@Injectable()
export class AdminAudit {
  constructor(
    private readonly reflector: Reflector,
    private readonly log: AuditLog,
  ) {}

  /** The action the call is, as its route declares it; null when the call is not audited. */
  actionOf(context: ExecutionContext): AuditedAction | null {
    const { method } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (READS.has(method) || requiredRoleOf(this.reflector, context) !== 'admin') return null;
    return (
      declaredActionOf(this.reflector, context.getHandler()) ?? {
        action: context.getHandler().name,
        objectType: context.getClass().name,
        objectId: { param: 'id' },
      }
    );
  }

  /** Runs an admin action's handler between its pending entry and the entry's settlement. */
  async around<T>(
    context: ExecutionContext,
    action: AuditedAction,
    handle: () => Promise<T>,
  ): Promise<T> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const call = callOf(request, request.principal);
    const pending = await this.log.append(auditEntryOf(action, call, null));
    let answer: T;
    try {
      answer = await handle();
    } catch (error) {
      await this.log.settle(pending.id, auditEntryOf(action, call, { ok: false, error }));
      throw error;
    }
    await this.log.settle(pending.id, auditEntryOf(action, call, { ok: true, answer }));
    return answer;
  }

  /** Records a call the guard refused before it could run (a reader on an admin route). */
  async refused(context: ExecutionContext, principal: Principal, error: unknown): Promise<void> {
    const action = this.actionOf(context);
    if (!action) return;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    await this.log.append(auditEntryOf(action, callOf(request, principal), { ok: false, error }));
  }
}

function callOf(request: AuthenticatedRequest, principal: Principal): AdminCall {
  return {
    principal,
    params: request.params,
    body: request.body as unknown,
    clientAddress: request.ip ?? null,
  };
}
