/**
 * The message a piece of work is for, carried through its async calls (AsyncLocalStorage):
 * the consumer loop opens a context around each handler call, the JSON logger adds it to every
 * line logged meanwhile, and the publishers pass its trace on as a W3C `traceparent` header, so
 * a run's lifecycle event, its check and its finding share one trace id across the services.
 *
 * Off until `enableMessageContext` (the bootstrap calls it with `LOG_FORMAT=json`, where the
 * context shows): on Node 20 an AsyncLocalStorage in use puts a hook on every promise of the
 * process, which cost the checker about 30% more CPU per event in the benchmark.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { RawMessage } from './raw-message';

/** What the log lines written while handling a message say about it. */
export interface MessageContext {
  topic: string;
  partition: number;
  /** The offset, or `first-last` for a batch. */
  offset: string;
  consumer_group: string;
  /** W3C trace id (32 hex): from the message's `traceparent`, or new (see `sharedTraceId`). */
  trace_id: string;
  /** This handling's span id (16 hex), the parent of what it publishes. */
  span_id: string;
  event_id?: string;
  run_id?: string;
  /** Events in the batch, when the handler takes several at once. */
  batch_size?: number;
}

export const TRACEPARENT_HEADER = 'traceparent';

const storage = new AsyncLocalStorage<MessageContext>();
let enabled = false;

/** Turns message contexts (and `traceparent` propagation) on for this process. */
export function enableMessageContext(): void {
  enabled = true;
}

/** The context of the message being handled, if any. */
export function currentMessageContext(): MessageContext | undefined {
  return storage.getStore();
}

/** Runs `work` with `context` as the current message context. */
export function withMessageContext<R>(context: MessageContext, work: () => R): R {
  return enabled ? storage.run(context, work) : work();
}

/**
 * Runs `work` outside any message context: for work a handler starts but that is not its own
 * (the in-process bus draining a queue another group fills), which would otherwise inherit it.
 */
export function outsideMessageContext<R>(work: () => R): R {
  return enabled ? storage.exit(work) : work();
}

/**
 * `fn`, bound to the current message context: for work queued now and started later by
 * someone else's completion (a concurrency limiter), which must run in its own caller's context.
 */
export function bindToMessageContext<R>(fn: () => R): () => R {
  return enabled ? AsyncResource.bind(fn) : fn;
}

/** The `traceparent` header of what is published now: a child of the message being handled. */
export function outgoingTraceHeaders(): Record<string, string> | undefined {
  const context = storage.getStore();
  if (!context) return undefined;
  return { [TRACEPARENT_HEADER]: `00-${context.trace_id}-${context.span_id}-01` };
}

/** The trace id of a W3C `traceparent` value, or null when it is not a valid one. */
export function traceIdOf(traceparent: string | undefined): string | null {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  const traceId = match?.[1];
  return traceId !== undefined && !/^0+$/.test(traceId) ? traceId : null;
}

/**
 * The trace the messages continue: theirs when they all carry the same one. A batch of
 * messages from different traces (one per run, usually) is handled, and publishes, as a trace
 * of its own; its log lines name the batch by its offset range.
 */
function sharedTraceId(messages: readonly RawMessage[]): string | null {
  const first = traceIdOf(messages[0]?.headers?.[TRACEPARENT_HEADER]);
  if (first === null) return null;
  const shared = messages.every(
    (message) => traceIdOf(message.headers?.[TRACEPARENT_HEADER]) === first,
  );
  return shared ? first : null;
}

/**
 * The context for handling `messages` (one, or the batch of one partition) in `group`, with
 * the event's id and run id when the decoded event has them.
 */
export function messageContextFor(
  messages: readonly RawMessage[],
  group: string,
  event?: object,
): MessageContext {
  const first = messages[0];
  const last = messages[messages.length - 1];
  if (!first || !last) throw new Error('a message context needs at least one message');
  const context: MessageContext = {
    topic: first.topic,
    partition: first.partition,
    offset: first === last ? first.offset : `${first.offset}-${last.offset}`,
    consumer_group: group,
    trace_id: sharedTraceId(messages) ?? randomBytes(16).toString('hex'),
    span_id: randomBytes(8).toString('hex'),
  };
  if (messages.length > 1) context.batch_size = messages.length;
  if (event) {
    const fields = event as { event_id?: unknown; run_id?: unknown };
    if (typeof fields.event_id === 'string') context.event_id = fields.event_id;
    if (typeof fields.run_id === 'string') context.run_id = fields.run_id;
  }
  return context;
}
