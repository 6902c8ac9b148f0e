/**
 * What a dead letter says: pure construction of the `bridge.dlq.events` record from a message
 * that could not be decoded or handled. The original key and value bytes travel unchanged, so an
 * operator can inspect the message and requeue it to its source topic.
 */
import { randomUUID } from 'node:crypto';
import type { DeadLetter } from '@bridge/contracts';
import { BridgeError } from '@bridge/errors';
import type { RawMessage } from './raw-message';

export type FailureKind = 'undecodable' | 'invalid' | 'handler_failed';

/** Longest reason kept; a stack trace or a huge validation message must not bloat the topic. */
const MAX_REASON_LENGTH = 4_000;

export function failureKindOf(error: unknown): FailureKind {
  if (error instanceof BridgeError && (error.code === 'undecodable' || error.code === 'invalid')) {
    return error.code;
  }
  return 'handler_failed';
}

/**
 * @param error what went wrong: an error (its name and message become the reason), or the
 *   reason itself as text when there is no error object (a check that gave up).
 */
export function buildDeadLetter(
  message: RawMessage,
  consumerGroup: string,
  error: unknown,
  attempts: number,
  now: number = Date.now(),
): DeadLetter {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    event_id: randomUUID(),
    occurred_at: now,
    source_topic: message.topic,
    source_partition: message.partition,
    source_offset: message.offset,
    consumer_group: consumerGroup,
    key: message.key,
    payload: message.value,
    reason: text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text,
    failure_kind: failureKindOf(error),
    attempts,
  };
}
