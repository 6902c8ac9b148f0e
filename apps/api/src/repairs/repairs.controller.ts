/**
 * Repair jobs (SPEC §7 "repairs awaiting approval and their approval"): listed by state, one by
 * id, and an operator's approval or rejection (admin), recorded with who and why. The decisions
 * are `RepairApprovals`', the same the CLI reaches through this API.
 */
import { Body, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { NotFoundError } from '@bridge/errors';
import { RepairApprovals } from '@bridge/repair';
import { ZodPipe } from '@bridge/runtime';
import { REPAIR_STATES, RepairJobStore } from '@bridge/store';
import type { AuthenticatedRequest } from '../auth/api-auth.guard';
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

@QueryApiController('repairs', 'repairs')
export class RepairsController {
  constructor(
    private readonly jobs: RepairJobStore,
    private readonly approvals: RepairApprovals,
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
}
