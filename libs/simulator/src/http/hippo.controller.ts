/**
 * Hippo's HTTP API (see docs/design.md, Component APIs): single entity, bulk lookup (an
 * optional capability, switched off with `SIM_HIPPO_BULK_LOOKUP=false`), the entity listing,
 * and range digests of the entities with their provenance. Entities still inside their lag are invisible to all three. Faults are applied before
 * the handlers by `ComponentGateMiddleware`.
 */
import type { z } from 'zod';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  PayloadTooLargeException,
  Post,
  Query,
  UseFilters,
} from '@nestjs/common';
import { SIM_SETTINGS, type SimSettings } from '../sim-config';
import type { Page } from '../state/cappella-state';
import { ComponentState } from '../state/component-state';
import type { EntityView, LookupResult } from '../state/hippo-state';
import type { DigestBucket } from '@bridge/contracts';
import {
  ListingQuerySchema,
  LOOKUP_MAX_KEYS,
  LookupBodySchema,
  refuseWideListing,
  SlotRangeQuerySchema,
} from './component-api.schemas';
import { InvalidCursorFilter } from './invalid-cursor.filter';
import { ZodPipe } from '@bridge/runtime';

type ListingQuery = z.output<typeof ListingQuerySchema>;
type SlotRangeQuery = z.output<typeof SlotRangeQuerySchema>;

const slotRangeQuery = new ZodPipe(SlotRangeQuerySchema, 'query');

const lookupBody = new ZodPipe(LookupBodySchema);

@Controller('hippo')
@UseFilters(InvalidCursorFilter)
export class HippoController {
  constructor(
    private readonly state: ComponentState,
    @Inject(SIM_SETTINGS) private readonly settings: SimSettings,
  ) {}

  @Get('entities')
  list(@Query(new ZodPipe(ListingQuerySchema, 'query')) query: ListingQuery): Page<EntityView> {
    return this.state.hippo.list(query.after, query.limit);
  }

  /** Range digests: the visible entities with their provenance, per bucket of slots. */
  @Get('slots/digest')
  entityDigest(@Query(slotRangeQuery) query: SlotRangeQuery): { buckets: DigestBucket[] } {
    return { buckets: this.state.hippo.entityDigest(query, query.buckets) };
  }

  /** Range digests: the visible entities in a range of slots. */
  @Get('slots/entities')
  entitiesIn(@Query(slotRangeQuery) query: SlotRangeQuery): { items: EntityView[] } {
    refuseWideListing(query, this.state.hippo.entityCountIn(query), 'entities');
    return { items: this.state.hippo.entitiesIn(query) };
  }

  @Get('entities/:type/:externalId')
  entity(@Param('type') type: string, @Param('externalId') externalId: string): EntityView {
    const entity = this.state.hippo.get({ entity_type: type, external_id: externalId });
    if (!entity) throw new NotFoundException(`no entity ${type}:${externalId}`);
    return entity;
  }

  @Post('entities/lookup')
  @HttpCode(200)
  lookup(@Body() body: unknown): { results: LookupResult[] } {
    if (!this.settings.hippoBulkLookup) {
      throw new NotFoundException('Cannot POST /hippo/entities/lookup (bulk lookup disabled)');
    }
    // Refuse an oversized request before validating a thousand-odd keys.
    const entities = (body as { entities?: unknown } | null)?.entities;
    if (Array.isArray(entities) && entities.length > LOOKUP_MAX_KEYS) {
      throw new PayloadTooLargeException(
        `at most ${LOOKUP_MAX_KEYS} entities per lookup, got ${entities.length}`,
      );
    }
    return { results: this.state.hippo.lookup(lookupBody.transform(body).entities) };
  }
}
