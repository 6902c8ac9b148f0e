/**
 * Dead letters, for operators to inspect and requeue: listed with filters, newest first; one
 * with its payload decoded where it decodes; and requeued (admin), one or a filtered set, by
 * `DeadLetterRequeue`.
 */
import { Body, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { isTopic } from '@bridge/contracts';
import { NotFoundError } from '@bridge/errors';
import { EventPublisher } from '@bridge/messaging';
import { ZodPipe } from '@bridge/runtime';
import { DeadLetterStore, type DeadLetterFilter } from '@bridge/store';
import { CursorSchema, encodeCursor } from '../page-cursor';
import type { AuthenticatedRequest } from '../auth/api-auth.guard';
import { AdminAction } from '../audit/admin-action';
import { DeadLetterRequeue, MAX_REQUEUE_BATCH } from './dead-letter-requeue';
import {
  decodeFailureView,
  deadLetterView,
  printable,
  type DeadLetterDetailView,
  type DeadLetterView,
} from './dead-letter-view';
import { IdSchema, InstantSchema as instant, textOf } from '../request-fields';
import { QueryApiController } from '../query-api-controller';

const text = textOf(300);

const filterFields = {
  source_topic: text.optional(),
  failure_kind: z.enum(['undecodable', 'invalid', 'handler_failed']).optional(),
  consumer_group: text.optional(),
  status: z.enum(['pending', 'requeued', 'all']).default('pending'),
  since: instant.optional(),
  until: instant.optional(),
};

export const DeadLetterQuerySchema = z
  .object({
    ...filterFields,
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: CursorSchema.optional(),
  })
  .strict();

export const RequeueSetSchema = z
  .object({ ...filterFields, limit: z.number().int().min(1).max(MAX_REQUEUE_BATCH).default(100) })
  .strict();

function storeFilter(query: {
  source_topic?: string;
  failure_kind?: string;
  consumer_group?: string;
  status: DeadLetterFilter['status'];
  since?: Date;
  until?: Date;
}): DeadLetterFilter {
  return {
    sourceTopic: query.source_topic,
    failureKind: query.failure_kind,
    consumerGroup: query.consumer_group,
    status: query.status,
    since: query.since,
    until: query.until,
  };
}

@QueryApiController('dead-letters', 'dead letters')
export class DeadLettersController {
  private readonly requeue: DeadLetterRequeue;

  constructor(
    private readonly store: DeadLetterStore,
    private readonly publisher: EventPublisher,
  ) {
    this.requeue = new DeadLetterRequeue(store, publisher);
  }

  @Get()
  @ApiOperation({ summary: 'Dead letters, newest first; pending (never requeued) by default' })
  @ApiQuery({ name: 'source_topic', required: false })
  @ApiQuery({
    name: 'failure_kind',
    required: false,
    enum: ['undecodable', 'invalid', 'handler_failed'],
  })
  @ApiQuery({ name: 'consumer_group', required: false })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'requeued', 'all'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(
    @Query(new ZodPipe(DeadLetterQuerySchema, 'query'))
    query: z.output<typeof DeadLetterQuerySchema>,
  ): Promise<{ items: DeadLetterView[]; next_cursor: string | null }> {
    const after = query.cursor ? { occurredAt: query.cursor.at, id: query.cursor.id } : null;
    const page = await this.store.page(storeFilter(query), after, query.limit);
    return {
      items: page.items.map(deadLetterView),
      next_cursor: page.next ? encodeCursor({ at: page.next.occurredAt, id: page.next.id }) : null,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter, its payload decoded where it decodes' })
  async show(
    @Param('id', new ZodPipe(IdSchema, 'dead letter id')) id: string,
  ): Promise<DeadLetterDetailView> {
    const letter = await this.store.findById(id);
    if (!letter) throw new NotFoundError(`no dead letter ${id}`);
    let decoded: unknown = null;
    let decodeError: string | null = null;
    if (!letter.payload) {
      decodeError = 'no payload';
    } else if (!isTopic(letter.sourceTopic)) {
      decodeError = `${letter.sourceTopic} is not a topic Bridge has a schema for`;
    } else {
      try {
        decoded = printable(await this.publisher.decode(letter.sourceTopic, letter.payload));
      } catch (error) {
        decodeError = decodeFailureView(error);
      }
    }
    return {
      ...deadLetterView(letter),
      payload_base64: letter.payload?.toString('base64') ?? null,
      payload_decoded: decoded,
      decode_error: decodeError,
    };
  }

  @Post(':id/requeue')
  @HttpCode(200)
  @AdminAction({ action: 'requeue', objectType: 'dead_letter', objectId: { param: 'id' } })
  @ApiOperation({ summary: 'Send one dead letter back to its topic (admin)' })
  async requeueOne(
    @Param('id', new ZodPipe(IdSchema, 'dead letter id')) id: string,
    @Req() request: AuthenticatedRequest,
  ): Promise<DeadLetterView> {
    return deadLetterView(await this.requeue.one(id, request.principal.name));
  }

  @Post('requeue')
  @HttpCode(200)
  @AdminAction({
    action: 'requeue_many',
    objectType: 'dead_letter',
    bodyAs: 'filter',
    answerFields: { count: 'requeued', ids: 'ids' },
  })
  @ApiOperation({
    summary: `Send the dead letters a filter matches back (admin), at most ${MAX_REQUEUE_BATCH}`,
  })
  async requeueSet(
    @Body(new ZodPipe(RequeueSetSchema)) body: z.output<typeof RequeueSetSchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ requeued: number; ids: string[] }> {
    const ids = await this.requeue.matching(storeFilter(body), body.limit, request.principal.name);
    return { requeued: ids.length, ids };
  }
}
