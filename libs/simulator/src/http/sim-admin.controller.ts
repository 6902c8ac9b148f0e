/**
 * The simulator's admin API (`/sim/*`): drives scenarios from outside the process (the demo,
 * out-of-process benchmarks) with the same operations tests call on `ComponentSimulator`.
 * Bodies are validated with the scenario schemas (400 listing the problems); a scenario that
 * cannot be carried out is a 400 too. No faults apply here: the admin API is not a component.
 */
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  UseFilters,
} from '@nestjs/common';
import { z } from 'zod';
import { COMPONENTS, type ComponentName } from '@bridge/config';
import { ComponentFaultsSchema } from '../faults/fault-plan';
import type { HitCounts } from '../faults/hit-counter';
import {
  ComponentSimulator,
  type GenerationResult,
  type PublishedEvent,
  type RunDeletion,
  type ScanTruth,
  type SeededHistory,
  type SimDeletion,
  type SimRun,
} from '../scenario/component-simulator';
import type { GroundTruth } from '../scenario/ground-truth';
import { ScenarioErrorFilter } from '../scenario/scenario-error';
import {
  BatchCompletedSpecSchema,
  CacheEvictedSpecSchema,
  CompleteRunSpecSchema,
  DeleteEntitiesSpecSchema,
  DeleteRunsSpecSchema,
  FailRunSpecSchema,
  GenerateBatchSpecSchema,
  GenerateStreamSpecSchema,
  ReconciliationCompletedSpecSchema,
  SeedHistorySpecSchema,
} from '../scenario/scenario-specs';
import { ZodPipe } from '@bridge/runtime';

const ComponentParamSchema = z.enum(COMPONENTS);
/** `findings_only=true` (or `findingsOnly=true`): leave out the runs expected to be ok. */
const TruthQuerySchema = z
  .object({
    findings_only: z.stringbool().optional(),
    findingsOnly: z.stringbool().optional(),
  })
  .transform((query) => ({ findingsOnly: query.findings_only ?? query.findingsOnly ?? false }));

/** `graceMs=N`: runs changed less than N ms ago are left to the post-run check (default 0). */
const ScanTruthQuerySchema = z.object({
  graceMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(365 * 86_400_000)
    .default(0),
});

@Controller('sim')
@UseFilters(ScenarioErrorFilter)
export class SimAdminController {
  constructor(private readonly simulator: ComponentSimulator) {}

  @Post('runs')
  completeRun(
    @Body(new ZodPipe(CompleteRunSpecSchema)) spec: z.output<typeof CompleteRunSpecSchema>,
  ): Promise<SimRun> {
    return this.simulator.completeRun(spec);
  }

  @Post('runs/failed')
  failRun(
    @Body(new ZodPipe(FailRunSpecSchema)) spec: z.output<typeof FailRunSpecSchema>,
  ): Promise<SimRun> {
    return this.simulator.failRun(spec);
  }

  @Post('deletions')
  deleteEntities(
    @Body(new ZodPipe(DeleteEntitiesSpecSchema)) spec: z.output<typeof DeleteEntitiesSpecSchema>,
  ): Promise<SimDeletion> {
    return this.simulator.deleteEntities(spec);
  }

  /** History that predates Bridge: written into the state, no events published. */
  @Post('history')
  seedHistory(
    @Body(new ZodPipe(SeedHistorySpecSchema)) spec: z.output<typeof SeedHistorySpecSchema>,
  ): SeededHistory {
    return this.simulator.seedHistory(spec);
  }

  @Post('cappella/deletions')
  @HttpCode(200)
  deleteRuns(
    @Body(new ZodPipe(DeleteRunsSpecSchema)) spec: z.output<typeof DeleteRunsSpecSchema>,
  ): RunDeletion {
    return this.simulator.deleteRuns(spec.run_ids);
  }

  @Post('events/batch-completed')
  batchCompleted(
    @Body(new ZodPipe(BatchCompletedSpecSchema)) spec: z.output<typeof BatchCompletedSpecSchema>,
  ): Promise<PublishedEvent> {
    return this.simulator.publishBatchCompleted(spec);
  }

  @Post('events/reconciliation-completed')
  reconciliationCompleted(
    @Body(new ZodPipe(ReconciliationCompletedSpecSchema))
    spec: z.output<typeof ReconciliationCompletedSpecSchema>,
  ): Promise<PublishedEvent> {
    return this.simulator.publishReconciliationCompleted(spec);
  }

  @Post('events/cache-evicted')
  cacheEvicted(
    @Body(new ZodPipe(CacheEvictedSpecSchema)) spec: z.output<typeof CacheEvictedSpecSchema>,
  ): Promise<PublishedEvent> {
    return this.simulator.publishCacheEvicted(spec);
  }

  @Post('canon/sweep')
  @HttpCode(200)
  async sweep(): Promise<{ removed: string[] }> {
    return { removed: await this.simulator.sweepCanon() };
  }

  @Get('faults')
  faults(): ReturnType<ComponentSimulator['faultsInEffect']> {
    return this.simulator.faultsInEffect();
  }

  @Put('faults/:component')
  setFaults(
    @Param('component', new ZodPipe(ComponentParamSchema, 'component')) component: ComponentName,
    @Body(new ZodPipe(ComponentFaultsSchema)) faults: z.output<typeof ComponentFaultsSchema>,
  ): ReturnType<ComponentSimulator['faultsInEffect']> {
    this.simulator.setFaults(component, faults);
    return this.simulator.faultsInEffect();
  }

  @Delete('faults')
  @HttpCode(204)
  clearFaults(): void {
    this.simulator.clearFaults();
  }

  @Delete('faults/:component')
  @HttpCode(204)
  clearComponentFaults(
    @Param('component', new ZodPipe(ComponentParamSchema, 'component')) component: ComponentName,
  ): void {
    this.simulator.clearFaults(component);
  }

  @Post('generate/batch')
  generateBatch(
    @Body(new ZodPipe(GenerateBatchSpecSchema)) spec: z.output<typeof GenerateBatchSpecSchema>,
  ): Promise<GenerationResult> {
    return this.simulator.generateBatch(spec);
  }

  /** Answers when the stream is done (it may take `durationMs`). */
  @Post('generate/stream')
  generateStream(
    @Body(new ZodPipe(GenerateStreamSpecSchema)) spec: z.output<typeof GenerateStreamSpecSchema>,
  ): Promise<GenerationResult> {
    return this.simulator.generateStream(spec);
  }

  @Get('truth')
  truth(
    @Query(new ZodPipe(TruthQuerySchema, 'query')) query: z.output<typeof TruthQuerySchema>,
  ): GroundTruth {
    return this.simulator.truth(query);
  }

  /** What a correct full scan must report now. */
  @Get('truth/scan')
  scanTruth(
    @Query(new ZodPipe(ScanTruthQuerySchema, 'query'))
    query: z.output<typeof ScanTruthQuerySchema>,
  ): ScanTruth {
    return this.simulator.scanTruth(query.graceMs);
  }

  @Get('hits')
  hits(): HitCounts {
    return this.simulator.hitCounts();
  }

  @Post('reset')
  @HttpCode(204)
  reset(): void {
    this.simulator.reset();
  }
}
