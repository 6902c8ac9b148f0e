/**
 * Cappella's HTTP API (see docs/design.md, Component APIs): runs, their outputs, the run
 * listing, range digests of the registered outputs, pipelines, and run submission (what
 * Bridge's `resubmit_run` repair calls). Handlers
 * are Map lookups that return the stored objects as they are; faults are applied before them by
 * `ComponentGateMiddleware`.
 */
import type { z } from 'zod';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  UseFilters,
} from '@nestjs/common';
import type { DigestBucket, EntityKey } from '@bridge/contracts';
import { ComponentSimulator } from '../scenario/component-simulator';
import type { OutputPairView, Page, PipelineView, RunView } from '../state/cappella-state';
import { ComponentState } from '../state/component-state';
import {
  ListingQuerySchema,
  refuseWideListing,
  SlotRangeQuerySchema,
  SubmitRunBodySchema,
} from './component-api.schemas';
import { InvalidCursorFilter } from './invalid-cursor.filter';
import { ZodPipe } from '@bridge/runtime';

type ListingQuery = z.output<typeof ListingQuerySchema>;
type SubmitRunBody = z.output<typeof SubmitRunBodySchema>;
type SlotRangeQuery = z.output<typeof SlotRangeQuerySchema>;

const slotRangeQuery = new ZodPipe(SlotRangeQuerySchema, 'query');

@Controller('cappella')
@UseFilters(InvalidCursorFilter)
export class CappellaController {
  constructor(
    private readonly state: ComponentState,
    private readonly simulator: ComponentSimulator,
  ) {}

  @Get('runs')
  listRuns(@Query(new ZodPipe(ListingQuerySchema, 'query')) query: ListingQuery): Page<RunView> {
    return this.state.cappella.listRuns(query.after, query.limit);
  }

  @Get('runs/:runId')
  run(@Param('runId') runId: string): RunView {
    return this.runOr404(runId);
  }

  @Get('runs/:runId/outputs')
  outputs(@Param('runId') runId: string): EntityKey[] {
    return this.runOr404(runId).outputs;
  }

  /** Range digests: the outputs runs registered, counted and hashed per bucket of slots. */
  @Get('slots/digest')
  outputDigest(@Query(slotRangeQuery) query: SlotRangeQuery): { buckets: DigestBucket[] } {
    return { buckets: this.state.cappella.outputDigest(query, query.buckets) };
  }

  /** Range digests: the outputs registered in a range of slots, with their runs. */
  @Get('slots/outputs')
  outputsIn(@Query(slotRangeQuery) query: SlotRangeQuery): { items: OutputPairView[] } {
    refuseWideListing(query, this.state.cappella.outputCountIn(query), 'outputs');
    return { items: this.state.cappella.outputsIn(query) };
  }

  @Get('pipelines/:pipelineId')
  pipeline(@Param('pipelineId') pipelineId: string): PipelineView {
    const pipeline = this.state.cappella.pipeline(pipelineId);
    if (!pipeline) throw new NotFoundException(`unknown pipeline ${pipelineId}`);
    return pipeline;
  }

  @Post('runs')
  @HttpCode(201)
  async submit(
    @Body(new ZodPipe(SubmitRunBodySchema)) body: SubmitRunBody,
  ): Promise<{ run_id: string }> {
    const runId = await this.simulator.submitRun(body.pipeline_id, body.inputs);
    if (runId === null) throw new NotFoundException(`unknown pipeline ${body.pipeline_id}`);
    return { run_id: runId };
  }

  private runOr404(runId: string): RunView {
    const run = this.state.cappella.run(runId);
    if (!run) throw new NotFoundException(`unknown run ${runId}`);
    return run;
  }
}
