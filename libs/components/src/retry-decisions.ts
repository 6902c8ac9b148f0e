/**
 * Pure decisions behind `ComponentHttp`'s resilience: which answers are transient, how long a
 * component asked us to wait, and whether a failed attempt may be tried again.
 *
 * Kept apart from the I/O so that every rule the checker, scanner and repair service rely on
 * (through the component clients) is unit-tested without a server or a clock.
 */

/** How one HTTP answer is treated by the component clients. */
export type StatusClass = 'ok' | 'not_found' | 'transient' | 'refused';

/**
 * Why an attempt produced no usable answer.
 * - `status`: the component answered 429 or 5xx.
 * - `timeout`: no complete answer within the manifest's `timeoutMs`.
 * - `unreached`: the connection could not be established, so the request was never sent.
 * - `connection`: the connection broke after the request may have been sent.
 * - `credentials`: no token could be had from the component's token endpoint, so the request
 *   was never sent.
 */
export type CallFailure = 'status' | 'timeout' | 'unreached' | 'connection' | 'credentials';

/**
 * `transient`: retry every transient failure (reads and idempotent writes).
 * `unprocessed`: retry only when the component cannot have acted on the request, for writes
 * whose repetition would have an effect of its own (submitting a run).
 */
export type RetryMode = 'transient' | 'unprocessed';

/** Any component call may answer 429 or a 5xx, and both mean "try again later". */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * A 404 means "no such thing" only when a single resource was asked for. From a listing or a
 * POST it means the endpoint itself is missing (a wrong base URL), which must not pass for an
 * empty answer.
 */
export function classifyStatus(status: number, notFoundMeansAbsent: boolean): StatusClass {
  if (status >= 200 && status <= 299) return 'ok';
  if (status === 404 && notFoundMeansAbsent) return 'not_found';
  if (isTransientStatus(status)) return 'transient';
  return 'refused';
}

/** Only these answers promise, by their definition, that waiting `Retry-After` helps. */
export function honoursRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}

/**
 * The wait a `Retry-After` header asks for (RFC 9110 §10.2.3): either whole seconds or an
 * HTTP date. Returns null when absent or unreadable, so that plain backoff applies instead.
 */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Date.parse accepts strings such as "1.5"; an HTTP date always names a day or month.
  if (!/[a-z]/i.test(value)) return null;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) return null;
  return Math.max(0, at - now);
}

/** Socket error codes raised before any byte of the request left this process. */
const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Classifies an error thrown while sending a request or reading its answer. */
export function callFailureOf(code: string | undefined, timedOut: boolean): CallFailure {
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) return 'timeout';
  if (code !== undefined && NEVER_SENT_CODES.has(code)) return 'unreached';
  return 'connection';
}

export interface AttemptFailureFacts {
  kind: CallFailure;
  status?: number;
  /** What the component asked for via `Retry-After`, if anything. */
  retryAfterMs: number | null;
}

/**
 * Whether another attempt may follow. A `Retry-After` longer than `retryAfterCapMs` ends the
 * immediate retries rather than being shortened: retrying sooner than the component asked would
 * ignore it, and holding the call for minutes would stall the caller. The caller's own retry
 * tiers (delayed retry topics) pick the work up later.
 */
export function shouldRetry(
  failure: AttemptFailureFacts,
  mode: RetryMode,
  retryAfterCapMs: number,
): boolean {
  if (failure.retryAfterMs !== null && failure.retryAfterMs > retryAfterCapMs) return false;
  if (mode === 'transient') return true;
  return certainlyUnprocessed(failure);
}

/**
 * Whether the component cannot have acted on the request: it was never sent (no connection, or
 * no token to send it with), or the answer says it was not processed — 429 (RFC 6585) and 503
 * (RFC 9110 §15.6.4: the server is unable to handle the request). Any other answer, a timeout
 * or a broken connection leaves it open.
 */
export function certainlyUnprocessed(
  failure: Pick<AttemptFailureFacts, 'kind' | 'status'>,
): boolean {
  return (
    failure.kind === 'unreached' ||
    failure.kind === 'credentials' ||
    (failure.kind === 'status' && (failure.status === 429 || failure.status === 503))
  );
}

/** The wait before the next attempt: never shorter than what the component asked for. */
export function retryDelayMs(backoffMs: number, requestedMs: number | null): number {
  return requestedMs === null ? backoffMs : Math.max(backoffMs, requestedMs);
}
