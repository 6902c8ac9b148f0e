/**
 * `/api/v1/bridge/sync/events`: the sync event log, filtered and paged newest first, one event
 * by id, its history (its repair jobs, re-checks and what operators did), and an operator's
 * resolution of a finding (admin; who and why recorded, and announced on
 * `bridge.sync.repaired`). Other operator actions on findings are `FindingActionsController`'s.
 */
import { Body, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { Topics } from '@bridge/contracts';
import { NotFoundError } from '@bridge/errors';
import { EventPublisher } from '@bridge/messaging';
import { operatorResolutionEvent } from '@bridge/repair';
import { ZodPipe } from '@bridge/runtime';
import {
  AuditLog,
  RepairJobStore,
  StoreTransactions,
  SyncEventLog,
  SyncEventQueries,
} from '@bridge/store';
import type { AuthenticatedRequest } from '../auth/api-auth.guard';
import { AdminAction } from '../audit/admin-action';
import { encodeCursor } from '../page-cursor';
import { repairJobView } from '../repairs/repair-job-view';
import { findingHistory } from './finding-history';
import {
  EventQuerySchema,
  ResolveBodySchema,
  storeQueryOf,
  type EventQueryParams,
} from './event-query';
import { syncEventView, type SyncEventView } from './sync-event-view';
import { IdSchema } from '../request-fields';
import { QueryApiController } from '../query-api-controller';

/** Most audit entries per object a finding's history shows (its newest). */
const HISTORY_AUDIT_LIMIT = 200;

@QueryApiController('events', 'events')
export class EventsController {
  constructor(
    private readonly log: SyncEventLog,
    private readonly queries: SyncEventQueries,
    private readonly jobs: RepairJobStore,
    private readonly audit: AuditLog,
    private readonly transactions: StoreTransactions,
    private readonly publisher: EventPublisher,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Sync events, newest first, filtered and paged by cursor' })
  @ApiQuery({ name: 'status', required: false, enum: ['unresolved', 'resolved', 'all'] })
  @ApiQuery({ name: 'event_type', required: false })
  @ApiQuery({ name: 'mismatch_type', required: false })
  @ApiQuery({ name: 'source', required: false })
  @ApiQuery({ name: 'source_id', required: false })
  @ApiQuery({ name: 'scan_id', required: false, description: 'only the findings of this scan' })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 500, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  async list(
    @Query(new ZodPipe(EventQuerySchema, 'query')) params: EventQueryParams,
  ): Promise<{ items: SyncEventView[]; next_cursor: string | null }> {
    const page = await this.queries.page(storeQueryOf(params));
    return {
      items: page.items.map(syncEventView),
      next_cursor: page.next ? encodeCursor({ at: page.next.createdAt, id: page.next.id }) : null,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One sync event' })
  async show(@Param('id', new ZodPipe(IdSchema, 'event id')) id: string): Promise<SyncEventView> {
    const event = await this.log.findById(id);
    if (!event) throw new NotFoundError(`no sync event ${id}`);
    return syncEventView(event);
  }

  @Get(':id/history')
  @ApiOperation({
    summary:
      "A finding's story: detected, looked at again, every repair job (started, approved, rejected or expired, executed, confirmed or failed), what operators did, and how it closed (resolved or healed, who and why)",
  })
  async history(@Param('id', new ZodPipe(IdSchema, 'event id')) id: string) {
    const event = await this.log.findById(id);
    if (!event) throw new NotFoundError(`no sync event ${id}`);
    const jobs = await this.jobs.listBySyncEventId(id);
    // What operators did to the finding and to each of its jobs, as the audit log keeps it.
    const objects = [
      { objectType: 'sync_event', objectId: id },
      ...jobs.map((job) => ({ objectType: 'repair_job', objectId: job.id })),
    ];
    const audit = (
      await Promise.all(
        objects.map(
          async (filter) => (await this.audit.page(filter, null, HISTORY_AUDIT_LIMIT)).items,
        ),
      )
    ).flat();
    const latest = jobs.at(-1);
    return {
      event: syncEventView(event),
      /** The latest repair job (the active one, if any). */
      repair: latest ? repairJobView(latest) : null,
      /** Every repair job of the finding, first one first. */
      repairs: jobs.map(repairJobView),
      steps: findingHistory(event, jobs, audit),
    };
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @AdminAction({ action: 'resolve', objectType: 'sync_event', objectId: { param: 'id' } })
  @ApiOperation({ summary: 'Resolve a finding by hand (admin): who and why are recorded' })
  @ApiBody({
    required: false,
    schema: z.toJSONSchema(ResolveBodySchema, { io: 'input' }) as Record<string, unknown>,
  })
  async resolve(
    @Param('id', new ZodPipe(IdSchema, 'event id')) id: string,
    @Body(new ZodPipe(ResolveBodySchema)) body: z.output<typeof ResolveBodySchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<SyncEventView> {
    // Announced before the resolution commits: if the broker cannot take the event, the finding
    // stays open and the operator gets a 5xx to try again, rather than a resolution nobody
    // downstream hears of. The event's id is the finding's, so a second try is the same event.
    const resolved = await this.transactions.run(async ({ findingActions }) => {
      const finding = await findingActions.resolveByOperator(
        id,
        request.principal.name,
        body.reason,
      );
      const event = operatorResolutionEvent(finding, Date.now());
      await this.publisher.publish(
        Topics.BridgeSyncRepaired,
        event,
        event.run_id ?? event.sync_event_id,
      );
      return finding;
    });
    return syncEventView(resolved);
  }
}
