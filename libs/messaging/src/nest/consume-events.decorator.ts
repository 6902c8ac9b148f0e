/**
 * `@ConsumeEvents(topics, options)`: how a service declares a Kafka (or in-process) consumer.
 *
 * It is `@EventPattern` from `@nestjs/microservices`, one pattern per topic, with Bridge's
 * consumer options in the pattern's extras; `BridgeTransportServer` reads them back and turns
 * every handler of one consumer group into one subscription of the shared consumer loop. The
 * pass-through filter keeps a handler's own error (transient, permanent, an outage) intact, so
 * the loop can decide between retrying, holding and dead-lettering; Nest's default filter
 * would replace it with a generic "Internal server error".
 */
import { applyDecorators, Catch, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import type { EventOf, Topic } from '@bridge/contracts';

/** Where the options travel inside the pattern's extras. */
export const CONSUMER_EXTRAS_KEY = 'bridgeConsumer';

export interface ConsumerOptions<T extends Topic = Topic> {
  /**
   * Consumer group, without the deployment's prefix (`CONSUMER_GROUP_PREFIX`): `ingest`
   * becomes `bridge-ingest`. Every handler with the same group shares one subscription. A
   * function gives each topic of the handler a group of its own, so that one handler can
   * serve topics that must not wait for each other (the checker's fresh and delayed work).
   */
  group: string | ((topic: T) => string);
  /**
   * Batch handler: the method receives `ReceivedEvent[]` (all of one topic) instead of one
   * `ReceivedEvent`, and must be correct per event (a failing batch is re-run event by event).
   */
  batch?: boolean;
  /** Most events per batch; defaults to the configured `CHECK_BATCH_SIZE`. */
  maxBatchSize?: number;
  /** Delayed delivery: an event is not handled before this time (epoch ms). */
  notBefore?: (event: EventOf<T>) => number | null | undefined;
  /** Start from the earliest retained event when the group has no offset (default true). */
  fromBeginning?: boolean;
}

/** Hands a handler's error to the transport unchanged instead of Nest's generic RPC error. */
@Catch()
export class PassThroughRpcErrors implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

export function ConsumeEvents<T extends Topic>(
  topics: T | readonly T[],
  options: ConsumerOptions<T>,
): MethodDecorator {
  const patterns = typeof topics === 'string' ? [topics] : [...topics];
  return applyDecorators(
    EventPattern(patterns, { [CONSUMER_EXTRAS_KEY]: options }),
    UseFilters(new PassThroughRpcErrors()),
  );
}
