/**
 * The consumer loop's logic, shared by both transports: decode, run the handler with retries and
 * backoff, batch where the subscription asks for it, wait for delayed events, and dead-letter
 * what cannot be decoded or keeps failing.
 *
 * The transports only move bytes and offsets. They hand `processBatch` the messages of one
 * partition in order and commit each offset reported through `onDone`; a message is done when it
 * was handled *or* safely dead-lettered, so a poison message never blocks its partition. The loop
 * rejects only when a dead letter itself cannot be written (then the transport must not commit
 * past the last done message) or with `SubscriptionStopped` when the subscription is stopping.
 *
 * An infrastructure outage (database or broker down, see `isInfrastructureOutage`) is not the
 * message's fault: the loop holds the message and retries it until the outage ends or the
 * subscription stops, instead of dead-lettering every message that arrives meanwhile.
 */
import { Logger } from '@nestjs/common';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { RetryConfig } from '@bridge/config';
import { isTopic, type DeadLetter, type Topic } from '@bridge/contracts';
import {
  BridgeError,
  PermanentError,
  UndecodableMessageError,
  errorMessage,
  isInfrastructureOutage,
} from '@bridge/errors';
import { BridgeMetrics } from '@bridge/metrics';
import { buildDeadLetter } from './dead-letter';
import type { EventCodec } from './event-codec';
import { messageContextFor, withMessageContext, type MessageContext } from './message-context';
import type { BatchContext, ReceivedEvent, SubscriptionSpec } from './event-bus';
import type { RawMessage } from './raw-message';

export type ProcessOutcome = 'handled' | 'dead-lettered';

/** Where dead letters go; the transport provides it (a Kafka topic or the in-process bus). */
export type DeadLetterSink = (deadLetter: DeadLetter, key: string) => Promise<void>;

/** The subscription is stopping; the transport commits what is done and leaves the rest. */
export class SubscriptionStopped extends Error {
  constructor() {
    super('subscription stopped');
  }
}

/** What a transport gives the loop for one batch of one partition. */
export interface LoopContext extends BatchContext {
  /** Called once per message, in order, when it is handled or dead-lettered. */
  onDone(message: RawMessage): void;
  /** True when the loop must stop before the next message (shutdown, rebalance). */
  shouldStop(): boolean;
}

const DEFAULT_MAX_BATCH = 500;
const WAIT_SLICE_MS = 1_000;

interface Decoded<T extends Topic> {
  message: RawMessage;
  received: ReceivedEvent<T>;
}

export class ConsumerLoop<T extends Topic> {
  private readonly logger: Logger;
  private readonly policy: RetryPolicy;
  private readonly maxBatchSize: number;
  private readonly outagePauseMs: number;

  constructor(
    private readonly spec: SubscriptionSpec<T>,
    private readonly codec: EventCodec,
    private readonly sendDeadLetter: DeadLetterSink,
    retryConfig: RetryConfig,
  ) {
    this.logger = new Logger(`ConsumerLoop:${spec.groupId}`);
    this.maxBatchSize = spec.batchHandler ? (spec.maxBatchSize ?? DEFAULT_MAX_BATCH) : 1;
    this.outagePauseMs = retryConfig.maxDelayMs;
    this.policy = retry(
      handleWhen(
        (error) => !(error instanceof PermanentError) && !(error instanceof SubscriptionStopped),
      ),
      {
        maxAttempts: Math.max(0, retryConfig.maxAttempts - 1),
        backoff: new ExponentialBackoff({
          initialDelay: retryConfig.initialDelayMs,
          maxDelay: retryConfig.maxDelayMs,
        }),
      },
    );
    this.policy.onRetry((reason) => {
      BridgeMetrics.consumerRetries.inc({
        group: spec.groupId,
        reason: 'error' in reason ? retryReasonOf(reason.error) : 'unexpected',
      });
    });
  }

  /**
   * Handles one message on its own: retries, then dead-letters.
   *
   * @param keepAlive called before each retry, so a transport can keep its session alive
   *   (Kafka heartbeats) while a handler backs off.
   */
  async process(
    message: RawMessage,
    keepAliveRaw: () => Promise<void> = async () => {},
    shouldStop: () => boolean = () => false,
  ): Promise<ProcessOutcome> {
    const keepAlive = stopOnLostSession(keepAliveRaw);
    let attempts = 0;
    // One context for every attempt, so that the retries of a message share its trace.
    let context: MessageContext | undefined;
    try {
      await this.throughOutages(
        () =>
          this.policy.execute(async () => {
            if (attempts > 0) await keepAlive();
            attempts += 1;
            const received = await this.decode(message, attempts);
            context ??= messageContextFor([message], this.spec.groupId, received.event);
            await withMessageContext(context, () => this.handleOne(received, keepAlive));
          }),
        { keepAlive, shouldStop },
      );
      this.countConsumed(message, 'handled');
      return 'handled';
    } catch (error) {
      if (error instanceof SubscriptionStopped) throw error;
      await this.deadLetter(message, error, attempts, context);
      return 'dead-lettered';
    }
  }

  /** Handles one partition's messages in order, in handler batches of at most `maxBatchSize`. */
  async processBatch(messages: RawMessage[], loopContext: LoopContext): Promise<void> {
    const context: LoopContext = {
      ...loopContext,
      keepAlive: stopOnLostSession(() => loopContext.keepAlive()),
    };
    let pending: Decoded<T>[] = [];
    const flush = async () => {
      const group = pending;
      pending = [];
      await this.handleGroup(group, context);
    };
    for (const message of messages) {
      if (context.shouldStop()) break;
      let received: ReceivedEvent<T>;
      try {
        received = await this.decode(message, 1);
      } catch (error) {
        await flush();
        if (error instanceof PermanentError) await this.deadLetter(message, error, 1);
        else
          await this.process(
            message,
            () => context.keepAlive(),
            () => context.shouldStop(),
          );
        context.onDone(message);
        continue;
      }
      const due = this.spec.notBefore?.(received.event as never);
      if (typeof due === 'number' && due > Date.now()) {
        await flush();
        await this.waitUntil(due, context);
      }
      pending.push({ message, received });
      if (pending.length >= this.maxBatchSize) await flush();
    }
    await flush();
  }

  private async handleGroup(group: Decoded<T>[], context: LoopContext): Promise<void> {
    if (group.length === 0) return;
    if (!this.spec.batchHandler || group.length === 1) {
      await this.processEach(group, context);
      return;
    }
    const batchHandler = this.spec.batchHandler;
    const batchContext = messageContextFor(
      group.map(({ message }) => message),
      this.spec.groupId,
    );
    let attempt = 0;
    try {
      await this.throughOutages(
        () =>
          this.policy.execute(async () => {
            if (attempt > 0) await context.keepAlive();
            attempt += 1;
            const events = group.map(({ received }) => ({ ...received, attempt }));
            await withMessageContext(batchContext, () => batchHandler(events, context));
          }),
        context,
      );
    } catch (error) {
      if (error instanceof SubscriptionStopped) throw error;
      // Isolate the failure: every event gets its own retries, and only failing ones are
      // dead-lettered.
      this.logger.warn(
        `batch of ${group.length} failed (${errorMessage(error)}); handling its events one by one`,
      );
      await this.processEach(group, context);
      return;
    }
    for (const { message } of group) {
      this.countConsumed(message, 'handled');
      context.onDone(message);
    }
  }

  /** One message at a time, each with its own retries and dead letter; reported done in order. */
  private async processEach(group: Decoded<T>[], context: LoopContext): Promise<void> {
    for (const { message } of group) {
      await this.process(
        message,
        () => context.keepAlive(),
        () => context.shouldStop(),
      );
      context.onDone(message);
    }
  }

  private async handleOne(received: ReceivedEvent<T>, keepAlive: () => Promise<void>) {
    if (this.spec.batchHandler) await this.spec.batchHandler([received], { keepAlive });
    else await this.spec.handler(received);
  }

  /** Runs `attempt` again after each infrastructure outage, until it succeeds or fails otherwise. */
  private async throughOutages<R>(
    attempt: () => Promise<R>,
    context: Pick<LoopContext, 'keepAlive' | 'shouldStop'>,
  ): Promise<R> {
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (!isInfrastructureOutage(error)) throw error;
        BridgeMetrics.consumerRetries.inc({
          group: this.spec.groupId,
          reason: 'infrastructure_outage',
        });
        this.logger.warn(
          `infrastructure unavailable (${errorMessage(error)}); holding the message, next try in ${this.outagePauseMs} ms`,
        );
        await this.waitUntil(Date.now() + this.outagePauseMs, context);
      }
    }
  }

  private async waitUntil(
    due: number,
    context: Pick<LoopContext, 'keepAlive' | 'shouldStop'>,
  ): Promise<void> {
    for (let left = due - Date.now(); left > 0; left = due - Date.now()) {
      if (context.shouldStop()) throw new SubscriptionStopped();
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, WAIT_SLICE_MS)));
      await context.keepAlive();
    }
    if (context.shouldStop()) throw new SubscriptionStopped();
  }

  /**
   * @param context the message's context when it was decoded (its event id and run id), so
   *   the warning and the dead letter's own trace belong to the message.
   */
  private async deadLetter(
    message: RawMessage,
    error: unknown,
    attempts: number,
    context: MessageContext = messageContextFor([message], this.spec.groupId),
  ): Promise<void> {
    const deadLetter = buildDeadLetter(
      message,
      this.spec.groupId,
      error,
      attempts,
      Date.now(),
      this.codec.limits.maxEventBytes,
    );
    await withMessageContext(context, async () => {
      this.logger.warn(
        `dead-lettering ${message.topic}[${message.partition}]@${message.offset} after ${attempts} attempt(s): ${deadLetter.reason}`,
      );
      await this.sendDeadLetter(deadLetter, message.topic);
    });
    BridgeMetrics.deadLetters.inc({
      topic: message.topic,
      group: this.spec.groupId,
      reason: deadLetter.failure_kind,
    });
    this.countConsumed(message, 'dead_lettered');
  }

  private countConsumed(message: RawMessage, outcome: 'handled' | 'dead_lettered'): void {
    BridgeMetrics.eventsConsumed.inc({ topic: message.topic, group: this.spec.groupId, outcome });
  }

  private async decode(message: RawMessage, attempt: number): Promise<ReceivedEvent<T>> {
    const topic = message.topic;
    if (!isTopic(topic) || !(this.spec.topics as readonly string[]).includes(topic)) {
      throw new UndecodableMessageError(`no schema is known for topic ${topic}`);
    }
    if (message.value === null || message.value.length === 0) {
      throw new UndecodableMessageError('message has no value (tombstone or empty body)');
    }
    const event = await this.codec.decode(topic, message.value);
    return {
      topic,
      event,
      key: message.key?.toString('utf8') ?? null,
      partition: message.partition,
      offset: message.offset,
      attempt,
    } as ReceivedEvent<T>;
  }
}

/** The metric label of a failed attempt: the error's stable code, never free text. */
function retryReasonOf(error: Error): string {
  if (isInfrastructureOutage(error)) return 'infrastructure_outage';
  return error instanceof BridgeError ? error.code : 'unexpected';
}

/**
 * A failed heartbeat means the session is gone (a rebalance, the member evicted): the message
 * is not at fault, so the loop stops without committing instead of counting it as a failure.
 */
function stopOnLostSession(keepAlive: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await keepAlive();
    } catch {
      throw new SubscriptionStopped();
    }
  };
}
