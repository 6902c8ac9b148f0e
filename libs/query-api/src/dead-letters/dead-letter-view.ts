/**
 * A dead letter as the query API shows it: where it came from and why it failed; the key as
 * text; and, for one dead letter, its payload in base64 and decoded with its topic's schema
 * where it decodes (the reason it does not, where it does not).
 *
 * Why a payload does not decode is shown to readers as a category and the part of the reason
 * that is about the bytes: never an internal address (a registry URL, a host and port) that a
 * failure deeper down happened to name.
 */
import { TransientError, UndecodableMessageError, errorMessage } from '@bridge/errors';
import type { StoredDeadLetter } from '@bridge/store';

/** URLs and `host:port` pairs, which locate internal services. */
const INTERNAL_ADDRESS = /\b[a-z][a-z0-9+.-]*:\/\/\S+|\b[\w.-]+:\d{2,5}\b|\[[0-9a-f:]+\](:\d+)?/gi;

/** Why a payload could not be decoded, as readers may see it: `<category>: <detail>`. */
export function decodeFailureView(error: unknown): string {
  if (error instanceof UndecodableMessageError) {
    return `undecodable: ${errorMessage(error).replace(INTERNAL_ADDRESS, '<address>')}`;
  }
  if (error instanceof TransientError) {
    return 'schema registry unavailable: the payload cannot be decoded now, try again later';
  }
  return 'internal error: the payload could not be decoded';
}

export interface DeadLetterView {
  id: string;
  occurred_at: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  consumer_group: string;
  key: string | null;
  reason: string;
  failure_kind: string;
  attempts: number;
  payload_bytes: number;
  requeue_count: number;
  requeued_at: string | null;
  requeued_by: string | null;
}

export interface DeadLetterDetailView extends DeadLetterView {
  payload_base64: string | null;
  payload_decoded: unknown;
  decode_error: string | null;
}

export function deadLetterView(letter: StoredDeadLetter): DeadLetterView {
  return {
    id: letter.id,
    occurred_at: letter.occurredAt.toISOString(),
    source_topic: letter.sourceTopic,
    source_partition: letter.sourcePartition,
    source_offset: letter.sourceOffset,
    consumer_group: letter.consumerGroup,
    key: letter.key === null ? null : letter.key.toString('utf8'),
    reason: letter.reason,
    failure_kind: letter.failureKind,
    attempts: letter.attempts,
    payload_bytes: letter.payload?.length ?? 0,
    requeue_count: letter.requeueCount,
    requeued_at: letter.requeuedAt?.toISOString() ?? null,
    requeued_by: letter.requeuedBy,
  };
}

/** JSON cannot hold bytes or bigints: the decoded event with those made printable. */
export function printable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_, item: unknown) =>
      typeof item === 'bigint'
        ? item.toString()
        : item && typeof item === 'object' && (item as { type?: unknown }).type === 'Buffer'
          ? Buffer.from((item as { data: number[] }).data).toString('base64')
          : item,
    ),
  );
}
