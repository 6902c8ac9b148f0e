/**
 * What an operator does to open findings (admin, audited): look again now, start a repair with
 * a strategy the finding's type allows, snooze until a time (or wake), and the same on many
 * findings at once by filter (resolve, re-check), with a preview of how many a bulk action
 * touches before it acts (`dry_run`).
 */
import { Body, Delete, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import { z } from 'zod';
import { REPAIR_STRATEGIES, Topics } from '@bridge/contracts';
import { EventPublisher } from '@bridge/messaging';
import { OperatorRepairs, operatorResolutionEvent } from '@bridge/repair';
import { ZodPipe } from '@bridge/runtime';
import {
  FindingOperatorActions,
  StoreTransactions,
  SyncEventLog,
  SyncEventQueries,
} from '@bridge/store';
import type { AuthenticatedRequest } from '../auth/api-auth.guard';
import type { BulkOutcome } from '../bulk-outcome';
import { AdminAction } from '../audit/admin-action';
import { repairJobView, type RepairJobView } from '../repairs/repair-job-view';
import { IdSchema, InstantSchema, textOf } from '../request-fields';
import { QueryApiController } from '../query-api-controller';
import { FindingFilterSchema, storeFilterOf } from './event-query';
import { syncEventView, type SyncEventView } from './sync-event-view';

/** Most findings one bulk action touches; a larger set is acted on in several calls. */
export const MAX_BULK = 1_000;

export const StartRepairBodySchema = z
  .object({
    strategy: z.enum(REPAIR_STRATEGIES),
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    reason: textOf(2_000).optional(),
  })
  .strict();

export const SnoozeBodySchema = z
  .object({ until: InstantSchema, reason: textOf(2_000).optional() })
  .strict();

export const BulkFindingsBodySchema = z
  .object({
    action: z.enum(['resolve', 'recheck']),
    filter: FindingFilterSchema.default({}),
    reason: textOf(2_000).optional(),
    /** True: only say how many findings the action would touch. */
    dry_run: z.boolean().default(false),
    /** At most this many (oldest first). */
    max: z.number().int().min(1).max(MAX_BULK).default(MAX_BULK),
  })
  .strict();

const schemaOf = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;

@QueryApiController('events', 'events')
export class FindingActionsController {
  constructor(
    private readonly log: SyncEventLog,
    private readonly queries: SyncEventQueries,
    private readonly actions: FindingOperatorActions,
    private readonly transactions: StoreTransactions,
    private readonly publisher: EventPublisher,
    private readonly repairs: OperatorRepairs,
  ) {}

  @Post(':id/recheck')
  @HttpCode(202)
  @AdminAction({ action: 'recheck', objectType: 'sync_event', objectId: { param: 'id' } })
  @ApiOperation({
    summary:
      'Look at an open finding again now (admin): the checker re-checks it within its interval and closes it as healed if the discrepancy is gone',
  })
  async recheck(
    @Param('id', new ZodPipe(IdSchema, 'event id')) id: string,
  ): Promise<SyncEventView> {
    if ((await this.log.makeRechecksDue({ ids: [id] })) === 0) {
      throw await this.actions.notOpen(id, 're-check');
    }
    const event = await this.log.findById(id);
    if (!event) throw await this.actions.notOpen(id, 're-check');
    return syncEventView(event);
  }

  @Post(':id/repair')
  @HttpCode(201)
  @AdminAction({
    action: 'start_repair',
    objectType: 'sync_event',
    objectId: { param: 'id' },
    bodyAs: 'request',
    answerFields: { job_id: 'id' },
  })
  @ApiOperation({
    summary:
      'Start a repair of an open finding with a strategy its type allows (admin), even if its configured strategy only alerts; 409 if one is active',
  })
  @ApiBody({ schema: schemaOf(StartRepairBodySchema) })
  async startRepair(
    @Param('id', new ZodPipe(IdSchema, 'event id')) id: string,
    @Body(new ZodPipe(StartRepairBodySchema)) body: z.output<typeof StartRepairBodySchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<RepairJobView> {
    const job = await this.repairs.start(id, {
      strategy: body.strategy,
      priority: body.priority,
      by: request.principal.name,
    });
    return repairJobView(job);
  }

  @Post(':id/snooze')
  @HttpCode(200)
  @AdminAction({
    action: 'snooze',
    objectType: 'sync_event',
    objectId: { param: 'id' },
    bodyAs: 'snooze',
  })
  @ApiOperation({
    summary:
      'Snooze an open finding until a time (admin): left out of the default view of open findings, still counted',
  })
  @ApiBody({ schema: schemaOf(SnoozeBodySchema) })
  async snooze(
    @Param('id', new ZodPipe(IdSchema, 'event id')) id: string,
    @Body(new ZodPipe(SnoozeBodySchema)) body: z.output<typeof SnoozeBodySchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<SyncEventView> {
    const event = await this.actions.snooze(id, {
      until: body.until,
      by: request.principal.name,
      reason: body.reason ?? null,
    });
    return syncEventView(event);
  }

  @Delete(':id/snooze')
  @HttpCode(200)
  @AdminAction({ action: 'wake', objectType: 'sync_event', objectId: { param: 'id' } })
  @ApiOperation({ summary: 'End the snooze of an open finding (admin)' })
  async wake(@Param('id', new ZodPipe(IdSchema, 'event id')) id: string): Promise<SyncEventView> {
    return syncEventView(await this.actions.snooze(id, null));
  }

  @Post('bulk')
  @HttpCode(200)
  @AdminAction({
    action: 'bulk_findings',
    objectType: 'sync_event',
    bodyAs: 'request',
    answerFields: { matched: 'matched', acted: 'acted' },
  })
  @ApiOperation({
    summary:
      'Resolve or re-check the open findings a filter selects (admin), oldest first, at most 1000 a call; dry_run says how many it would touch',
  })
  @ApiBody({ schema: schemaOf(BulkFindingsBodySchema) })
  async bulk(
    @Body(new ZodPipe(BulkFindingsBodySchema)) body: z.output<typeof BulkFindingsBodySchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<BulkOutcome> {
    const { total, items } = await this.queries.openFindings(storeFilterOf(body.filter), body.max);
    const ids = items.map((item) => item.id);
    const outcome = {
      action: body.action,
      dry_run: body.dry_run,
      matched: total,
      selected: ids.length,
      ids,
    };
    if (body.dry_run) return { ...outcome, acted: 0 };
    if (body.action === 'recheck') {
      return { ...outcome, acted: await this.log.makeRechecksDue({ ids }) };
    }
    // As one resolution: each announced on bridge.sync.repaired before the batch commits.
    const resolved = await this.transactions.run(async ({ findingActions }) => {
      const rows = await findingActions.resolveManyByOperator(
        ids,
        request.principal.name,
        body.reason ?? null,
      );
      const now = Date.now();
      await this.publisher.publishMany(
        Topics.BridgeSyncRepaired,
        rows.map((row) => {
          const event = operatorResolutionEvent(row, now);
          return { event, key: event.run_id ?? event.sync_event_id };
        }),
      );
      return rows;
    });
    return { ...outcome, acted: resolved.length, ids: resolved.map((row) => row.id) };
  }
}
