/**
 * Canon's HTTP API (see docs/design.md, Component APIs): artifacts by entity, every artifact in
 * change order (the listing capability a full scan reads), and eviction (immediate, or at the
 * next sweep). Faults are applied before the handlers by `ComponentGateMiddleware`.
 */
import type { z } from 'zod';
import { Body, Controller, Get, HttpCode, Post, Query, UseFilters } from '@nestjs/common';
import { ComponentSimulator } from '../scenario/component-simulator';
import type { Page } from '../state/cappella-state';
import type { ArtifactView } from '../state/canon-state';
import { ComponentState } from '../state/component-state';
import { ArtifactsQuerySchema, EvictBodySchema } from './component-api.schemas';
import { InvalidCursorFilter } from './invalid-cursor.filter';
import { ZodPipe } from '@bridge/runtime';

type ArtifactsQuery = z.output<typeof ArtifactsQuerySchema>;
type EvictBody = z.output<typeof EvictBodySchema>;

/** The artifact listing's page when `limit` is not given, as for the other listings. */
const DEFAULT_LISTING_LIMIT = 500;

@Controller('canon')
@UseFilters(InvalidCursorFilter)
export class CanonController {
  constructor(
    private readonly state: ComponentState,
    private readonly simulator: ComponentSimulator,
  ) {}

  @Get('artifacts')
  artifacts(
    @Query(new ZodPipe(ArtifactsQuerySchema, 'query')) query: ArtifactsQuery,
  ): { artifacts: ArtifactView[] } | Page<ArtifactView> {
    if (query.entity.length === 0 && (query.after !== undefined || query.limit !== undefined)) {
      return this.state.canon.listArtifacts(query.after, query.limit ?? DEFAULT_LISTING_LIMIT);
    }
    return { artifacts: this.state.canon.artifactsFor(query.entity) };
  }

  @Post('artifacts/evict')
  @HttpCode(202)
  async evict(@Body(new ZodPipe(EvictBodySchema)) body: EvictBody): Promise<{ accepted: number }> {
    return { accepted: await this.simulator.evictArtifacts(body.artifact_ids, body.mode) };
  }
}
