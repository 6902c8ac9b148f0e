/**
 * Puts every admin action of the query API in the audit log: applied to every query API
 * controller by `@QueryApiController`, so a new admin route is audited without being told to;
 * other routes pass through untouched. What is recorded, and when, is `AdminAudit`'s.
 */
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AdminAudit } from './admin-audit';

@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AdminAudit) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const action = this.audit.actionOf(context);
    if (!action) return next.handle();
    return from(
      this.audit.around(context, action, () =>
        lastValueFrom(next.handle(), { defaultValue: undefined }),
      ),
    );
  }
}
