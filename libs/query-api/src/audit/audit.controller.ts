/**
 * `GET /audit` (admin): the audit log of admin actions, newest first, filtered by actor,
 * action, object and time and paged by cursor. A read, so it is not itself audited.
 */
import { Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { ZodPipe } from '@bridge/runtime';
import { AuditLog } from '@bridge/store';
import { RequiresRole } from '../auth/required-role';
import { encodeCursor } from '../page-cursor';
import { QueryApiController } from '../query-api-controller';
import { auditEntryView, type AuditEntryView } from './audit-entry-view';
import { AuditQuerySchema, auditPageOf, type AuditQuery } from './audit-query';

@QueryApiController('audit', 'audit')
export class AuditController {
  constructor(private readonly log: AuditLog) {}

  @Get()
  @RequiresRole('admin')
  @ApiOperation({
    summary:
      'Admin actions (resolve, approve, reject, requeue, requeue_many, scan_request), newest first: who, what, on which object, why, from where and how it ended (admin)',
  })
  @ApiQuery({ name: 'actor', required: false, description: "the principal's name" })
  @ApiQuery({ name: 'action', required: false, description: 'e.g. approve, requeue_many' })
  @ApiQuery({ name: 'object_type', required: false, description: 'e.g. repair_job, scan' })
  @ApiQuery({ name: 'object_id', required: false })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 500, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  async list(
    @Query(new ZodPipe(AuditQuerySchema, 'query')) query: AuditQuery,
  ): Promise<{ items: AuditEntryView[]; next_cursor: string | null }> {
    const { filter, after, limit } = auditPageOf(query);
    const page = await this.log.page(filter, after, limit);
    return {
      items: page.items.map(auditEntryView),
      next_cursor: page.next ? encodeCursor(page.next) : null,
    };
  }
}
