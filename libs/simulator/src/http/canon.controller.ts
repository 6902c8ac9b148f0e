/**
 * Canon's HTTP API (see docs/design.md, Component APIs): artifacts by entity, and eviction
 * (immediate, or at the next sweep). Faults are applied before the handlers by
 * `ComponentGateMiddleware`.
 */
import type { z } from 'zod';
import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ComponentSimulator } from '../scenario/component-simulator';
import type { ArtifactView } from '../state/canon-state';
import { ComponentState } from '../state/component-state';
import { ArtifactsQuerySchema, EvictBodySchema } from './component-api.schemas';
import { ZodPipe } from '@bridge/runtime';

type ArtifactsQuery = z.output<typeof ArtifactsQuerySchema>;
type EvictBody = z.output<typeof EvictBodySchema>;

@Controller('canon')
export class CanonController {
  constructor(
    private readonly state: ComponentState,
    private readonly simulator: ComponentSimulator,
  ) {}

  @Get('artifacts')
  artifacts(@Query(new ZodPipe(ArtifactsQuerySchema, 'query')) query: ArtifactsQuery): {
    artifacts: ArtifactView[];
  } {
    return { artifacts: this.state.canon.artifactsFor(query.entity) };
  }

  @Post('artifacts/evict')
  @HttpCode(202)
  async evict(@Body(new ZodPipe(EvictBodySchema)) body: EvictBody): Promise<{ accepted: number }> {
    return { accepted: await this.simulator.evictArtifacts(body.artifact_ids, body.mode) };
  }
}
