/**
 * Repair jobs: listed by state, one by id, and what an operator does to them (admin, audited):
 * approve or reject one awaiting approval or expired (one by one or in bulk by filter, with a
 * preview), retry one that FAILED, was REJECTED or EXPIRED (a new job), and change an active
 * job's priority. The rules are `RepairApprovals`' and `OperatorRepairs`', the same the CLI and
 * the console reach through this API.
 */
import { Body, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { MISMATCH_TYPES, REPAIR_STRATEGIES } from '@bridge/contracts';
import { NotFoundError, StateConflictError } from '@bridge/errors';
import { OperatorRepairs, RepairApprovals } from '@bridge/repair';
import { ZodPipe } from '@bridge/runtime';
import { REPAIR_STATES, RepairJobStore } from '@bridge/store';
import type { AuthenticatedRequest } from '../auth/api-auth.guard';
import type { BulkOutcome } from '../bulk-outcome';
import { AdminAction } from '../audit/admin-action';
import { repairJobView, type RepairJobView } from './repair-job-view';
import { IdSchema } from '../request-fields';
import { QueryApiController } from '../query-api-controller';

export const RepairListQuerySchema = z
  .object({
    /** One state or several, comma-separated. */
    state: z
      .string()
      .transform((value) => value.split(',').map((state) => state.trim().toUpperCase()))
      .pipe(z.array(z.enum(REPAIR_STATES)))
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export const DecisionBodySchema = z
  .object({ reason: z.string().trim().min(1).max(2_000).optional() })
  .strict();

export const PriorityBodySchema = z
  .object({ priority: z.number().int().min(-1_000_000).max(1_000_000) })
  .strict();

/** Most jobs one bulk decision touches. */
export const MAX_BULK_DECISIONS = 1_000;

export const BulkDecisionBodySchema = z
  .object({
    action: z.enum(['approve', 'reject']),
    filter: z
      .object({
        /** AWAITING_APPROVAL, EXPIRED, or both (the default). */
        state: z.enum(['AWAITING_APPROVAL', 'EXPIRED']).optional(),
        mismatch_type: z.enum(MISMATCH_TYPES).optional(),
        strategy: z.enum(REPAIR_STRATEGIES).optional(),
      })
      .strict()
      .default({}),
    reason: z.string().trim().min(1).max(2_000).optional(),
    dry_run: z.boolean().default(false),
    max: z.number().int().min(1).max(MAX_BULK_DECISIONS).default(MAX_BULK_DECISIONS),
  })
  .strict();

@QueryApiController('repairs', 'repairs')
export class RepairsController {
  constructor(
    private readonly jobs: RepairJobStore,
    private readonly approvals: RepairApprovals,
    private readonly repairs: OperatorRepairs,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Repair jobs, oldest finding first, optionally of some states' })
  @ApiQuery({
    name: 'state',
    required: false,
    description: `comma-separated: ${REPAIR_STATES.join(', ')}`,
  })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 500, default 50' })
  async list(
    @Query(new ZodPipe(RepairListQuerySchema, 'query'))
    query: z.output<typeof RepairListQuerySchema>,
  ): Promise<{ items: RepairJobView[] }> {
    const jobs = await this.jobs.list({ states: query.state, limit: query.limit });
    return { items: jobs.map(repairJobView) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One repair job, with its plan' })
  async show(
    @Param('id', new ZodPipe(IdSchema, 'repair job id')) id: string,
  ): Promise<RepairJobView> {
    const job = await this.jobs.findById(id);
    if (!job) throw new NotFoundError(`no repair job ${id}`);
    return repairJobView(job);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @AdminAction({ action: 'approve', objectType: 'repair_job', objectId: { param: 'id' } })
  @ApiOperation({ summary: 'Approve a repair awaiting approval (admin); it runs at the next pass' })
  async approve(
    @Param('id', new ZodPipe(IdSchema, 'repair job id')) id: string,
    @Body(new ZodPipe(DecisionBodySchema)) body: z.output<typeof DecisionBodySchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<RepairJobView> {
    const job = await this.approvals.approve(id, {
      by: request.principal.name,
      reason: body.reason,
    });
    return repairJobView(job);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @AdminAction({ action: 'reject', objectType: 'repair_job', objectId: { param: 'id' } })
  @ApiOperation({ summary: 'Reject a repair awaiting approval (admin); the finding stays open' })
  async reject(
    @Param('id', new ZodPipe(IdSchema, 'repair job id')) id: string,
    @Body(new ZodPipe(DecisionBodySchema)) body: z.output<typeof DecisionBodySchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<RepairJobView> {
    const job = await this.approvals.reject(id, {
      by: request.principal.name,
      reason: body.reason,
    });
    return repairJobView(job);
  }

  @Post(':id/retry')
  @HttpCode(201)
  @AdminAction({
    action: 'retry',
    objectType: 'repair_job',
    objectId: { param: 'id' },
    answerFields: { job_id: 'id' },
  })
  @ApiOperation({
    summary:
      'Start a FAILED, REJECTED or EXPIRED repair again as a new job (admin); the finding must be open, with no active repair',
  })
  async retry(
    @Param('id', new ZodPipe(IdSchema, 'repair job id')) id: string,
    @Req() request: AuthenticatedRequest,
  ): Promise<RepairJobView> {
    return repairJobView(await this.repairs.retry(id, request.principal.name));
  }

  @Post(':id/priority')
  @HttpCode(200)
  @AdminAction({
    action: 'set_priority',
    objectType: 'repair_job',
    objectId: { param: 'id' },
    bodyAs: 'priority',
  })
  @ApiOperation({ summary: "Change an active repair's priority (admin); higher runs first" })
  @ApiBody({ schema: z.toJSONSchema(PriorityBodySchema) as Record<string, unknown> })
  async setPriority(
    @Param('id', new ZodPipe(IdSchema, 'repair job id')) id: string,
    @Body(new ZodPipe(PriorityBodySchema)) body: z.output<typeof PriorityBodySchema>,
  ): Promise<RepairJobView> {
    return repairJobView(await this.repairs.setPriority(id, body.priority));
  }

  @Post('bulk')
  @HttpCode(200)
  @AdminAction({
    action: 'bulk_decide',
    objectType: 'repair_job',
    bodyAs: 'request',
    answerFields: { matched: 'matched', acted: 'acted' },
  })
  @ApiOperation({
    summary:
      'Approve or reject the repairs awaiting approval (or expired) a filter selects (admin), at most 1000 a call; dry_run says how many it would touch',
  })
  @ApiBody({
    schema: z.toJSONSchema(BulkDecisionBodySchema, { io: 'input' }) as Record<string, unknown>,
  })
  async bulk(
    @Body(new ZodPipe(BulkDecisionBodySchema)) body: z.output<typeof BulkDecisionBodySchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<BulkOutcome> {
    const states = body.filter.state
      ? [body.filter.state]
      : (['AWAITING_APPROVAL', 'EXPIRED'] as const);
    const matching = (
      await this.jobs.list({ states: [...states], limit: MAX_BULK_DECISIONS * 10 })
    ).filter(
      (job) =>
        (!body.filter.mismatch_type || job.mismatchType === body.filter.mismatch_type) &&
        (!body.filter.strategy || job.strategy === body.filter.strategy),
    );
    const selected = matching.slice(0, body.max);
    const outcome = {
      action: body.action,
      dry_run: body.dry_run,
      matched: matching.length,
      selected: selected.length,
    };
    if (body.dry_run) return { ...outcome, acted: 0, ids: selected.map((job) => job.id) };
    const decision = { by: request.principal.name, reason: body.reason };
    const acted: string[] = [];
    for (const job of selected) {
      try {
        if (body.action === 'approve') await this.approvals.approve(job.id, decision);
        else await this.approvals.reject(job.id, decision);
        acted.push(job.id);
      } catch (error) {
        // Decided by someone else meanwhile: not this call's to decide.
        if (!(error instanceof StateConflictError)) throw error;
      }
    }
    return { ...outcome, acted: acted.length, ids: acted };
  }
}
