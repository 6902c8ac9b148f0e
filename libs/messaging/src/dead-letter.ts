/**
 * What a dead letter says: pure construction of the `bridge.dlq.events` record from a message
 * that could not be decoded or handled. The original key and value bytes travel unchanged, so an
 * operator can inspect the message and requeue it to its source topic.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_DECODE_LIMITS } from '@bridge/config';
import type { DeadLetter } from '@bridge/contracts';
import { BridgeError } from '@bridge/errors';
import type { RawMessage } from './raw-message';

export type FailureKind = 'undecodable' | 'invalid' | 'handler_failed';

/** Longest reason kept; a stack trace or a huge validation message must not bloat the topic. */
const MAX_REASON_LENGTH = 4_000;

/**
 * Room a dead letter needs besides the original key and value: the reason (up to 4,000
 * characters, 4 bytes each at most), names, ids and numbers.
 */
const DEAD_LETTER_OVERHEAD_BYTES = 20 * 1024;

export function failureKindOf(error: unknown): FailureKind {
  if (error instanceof BridgeError && (error.code === 'undecodable' || error.code === 'invalid')) {
    return error.code;
  }
  return 'handler_failed';
}

/**
 * @param error what went wrong: an error (its name and message become the reason), or the
 *   reason itself as text when there is no error object (a check that gave up).
 * @param maxBytes the largest record consumers accept (`MAX_EVENT_BYTES`). A dead letter that
 *   would not fit with the original bytes leaves them out and says so: a record refused for its
 *   size would otherwise come back as a dead letter larger still, which the dead-letter
 *   consumer would refuse and dead-letter again, without end.
 */
export function buildDeadLetter(
  message: RawMessage,
  consumerGroup: string,
  error: unknown,
  attempts: number,
  now: number = Date.now(),
  maxBytes: number = DEFAULT_DECODE_LIMITS.maxEventBytes,
): DeadLetter {
  let text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  let { key, value: payload } = message;
  const room = maxBytes - DEAD_LETTER_OVERHEAD_BYTES;
  if ((key?.length ?? 0) + (payload?.length ?? 0) > room) {
    text = `${text} [original value of ${payload?.length ?? 0} bytes not kept: a dead letter must stay within ${maxBytes} bytes]`;
    payload = null;
    if ((key?.length ?? 0) > room) {
      text = `${text} [original key of ${key?.length ?? 0} bytes not kept]`;
      key = null;
    }
  }
  return {
    event_id: randomUUID(),
    occurred_at: now,
    source_topic: message.topic,
    source_partition: message.partition,
    source_offset: message.offset,
    consumer_group: consumerGroup,
    key,
    payload,
    reason: text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text,
    failure_kind: failureKindOf(error),
    attempts,
  };
}
