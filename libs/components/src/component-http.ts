/**
 * The HTTP transport of one component (Cappella, Hippo or Canon), shared by that component's
 * typed client. The checker's consistency checks, the scanner and the repair service reach the
 * components only through these clients, so this is where a slow or failing component is kept
 * from stalling or overloading Bridge:
 *
 *   retry (cockatiel, exponential backoff with jitter, `Retry-After` aware)
 *     → pacing (bottleneck, only when the manifest sets a rate limit)
 *       → concurrency limit (cockatiel bulkhead: manifest maxConcurrency)
 *         → circuit breaker (cockatiel, consecutive failures)
 *           → one attempt: credentials (the `Authorization` header the manifest's `auth` calls
 *             for, see component-credentials.ts), then the request (undici keep-alive pool,
 *             per-request deadline, zod-validated body); a 401 to a renewable token renews it
 *             and sends the request once more within the same attempt
 *
 * The limiter sits outside the breaker so that calls queued while a component dies fail fast
 * once the circuit opens instead of each waiting out its own timeout; the backoff sits outside
 * the limiter so that a call waiting to retry does not hold a concurrency slot. A token endpoint
 * that cannot answer fails the attempt like the component would (retried, counted by the
 * breaker); one that refuses Bridge's credentials fails the call at once.
 */
import Bottleneck from 'bottleneck';
import {
  BrokenCircuitError,
  bulkhead,
  type BulkheadPolicy,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  circuitBreaker,
  handleType,
  handleWhen,
  retry,
  type CircuitBreakerPolicy,
  type FailureReason,
  type IBackoff,
  type IRetryBackoffContext,
  type RetryPolicy,
} from 'cockatiel';
import { Pool } from 'undici';
import type { z } from 'zod';
import type { ComponentManifest, ComponentName } from '@bridge/config';
import {
  ComponentCredentialsError,
  ComponentRequestError,
  ComponentUnavailableError,
  errorMessage,
} from '@bridge/errors';
import { bindToMessageContext } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import {
  credentialsFor,
  TokenEndpointUnavailable,
  type ComponentCredentials,
} from './component-credentials';
import { endpointLabel } from './endpoint-label';
import {
  classifyStatus,
  callFailureOf,
  honoursRetryAfter,
  retryAfterMs,
  certainlyUnprocessed,
  retryDelayMs,
  shouldRetry,
  type AttemptFailureFacts,
  type CallFailure,
  type RetryMode,
} from './retry-decisions';

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

/** Counters for the services' metrics endpoints. */
export interface ComponentHttpStats {
  /** HTTP attempts that were sent (retries included, calls rejected by an open circuit not). */
  requests: number;
  /** Attempts that were repeats of a failed attempt. */
  retries: number;
  /** Calls that ended in an error after all their attempts. */
  failures: number;
  circuitState: CircuitStateName;
}

export interface PostOptions {
  /** Defaults to `transient`; use `unprocessed` for writes that must not happen twice. */
  retry?: RetryMode;
  /**
   * Runs once the call holds its concurrency slot, right before its first attempt goes out,
   * so that a caller who must know whether a write may have been sent can record it then. If
   * it throws, nothing is sent and its error is the call's.
   */
  beforeSend?: () => Promise<void>;
}

/**
 * A `Retry-After` beyond this many times the manifest's `maxDelayMs` ends the immediate retries
 * (see `shouldRetry`): long waits belong to the callers' delayed retry tiers.
 */
const RETRY_AFTER_CAP_FACTOR = 10;

/** How much of an error body goes into an error message: enough to diagnose, not a page dump. */
const ERROR_BODY_EXCERPT = 200;

/** An attempt without a usable answer that a later attempt might get (5xx, 429, timeout, socket). */
class AttemptFailure extends Error implements AttemptFailureFacts {
  constructor(
    readonly kind: CallFailure,
    readonly status: number | undefined,
    readonly retryAfterMs: number | null,
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An answer the component did give. Returned rather than thrown so that the breaker counts it
 * as the component being alive, whatever the caller makes of it.
 */
type Answer<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'not_found' }
  | { kind: 'refused'; status: number; excerpt: string }
  | { kind: 'malformed'; problem: string };

interface Call<T> {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  schema: z.ZodType<T>;
  retry: RetryMode;
  notFoundMeansAbsent: boolean;
  beforeSend?: () => Promise<void>;
}

/**
 * How an attempt without an answer ended: `status_503`, `timeout`, `unreached`, `connection`,
 * `credentials` (no token to send).
 */
function attemptOutcome(failure: AttemptFailure): string {
  return failure.kind === 'status' ? `status_${failure.status ?? 'unknown'}` : failure.kind;
}

/** Why a call failed after its attempts, for the errors counter. */
function callErrorKind(error: unknown): string {
  if (error instanceof BrokenCircuitError) return 'circuit_open';
  if (error instanceof AttemptFailure) return attemptOutcome(error);
  if (error instanceof ComponentCredentialsError) return 'credentials_refused';
  return 'unavailable';
}

const CIRCUIT_STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export class ComponentHttp {
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  /** Concurrency limit: a cockatiel bulkhead, whose queue stays cheap at thousands of waiters. */
  private readonly concurrency: BulkheadPolicy;
  /** Request spacing, only when the manifest declares a rate limit. */
  private readonly pacing: Bottleneck | undefined;
  private readonly retryPolicy: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retryAfterCapMs: number;
  private readonly counters = { requests: 0, retries: 0, failures: 0 };
  private closing: Promise<void> | undefined;
  private readonly removeCircuitSource: () => void;

  constructor(
    readonly component: ComponentName,
    private readonly manifest: ComponentManifest,
    private readonly credentials: ComponentCredentials = credentialsFor(component, manifest),
  ) {
    const url = new URL(manifest.baseUrl);
    // A base URL may carry a path (behind a gateway); the API's paths are appended to it.
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: manifest.maxConcurrency,
      // undici's own timers are coarse; the per-attempt AbortController is the real deadline
      // and these only stop a socket from hanging forever should that ever be bypassed.
      headersTimeout: manifest.timeoutMs,
      bodyTimeout: manifest.timeoutMs,
    });
    this.concurrency = bulkhead(manifest.maxConcurrency, Number.MAX_SAFE_INTEGER);
    // Spacing starts evenly rather than refilling a reservoir keeps bursts from reaching a
    // component that declared a per-second budget.
    this.pacing =
      manifest.rateLimitPerSecond > 0
        ? new Bottleneck({ minTime: Math.ceil(1000 / manifest.rateLimitPerSecond) })
        : undefined;
    this.retryAfterCapMs = manifest.retry.maxDelayMs * RETRY_AFTER_CAP_FACTOR;
    this.retryPolicy = retry(
      handleWhen((error) => error instanceof AttemptFailure && error.retryable),
      {
        maxAttempts: manifest.retry.maxAttempts - 1,
        backoff: this.backoff(),
      },
    );
    this.retryPolicy.onRetry(() => {
      this.counters.retries += 1;
    });
    this.breaker = circuitBreaker(handleType(AttemptFailure), {
      halfOpenAfter: manifest.circuitBreaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(manifest.circuitBreaker.consecutiveFailures),
    });
    this.removeCircuitSource = BridgeMetrics.circuitState.addSource(() => {
      const current = CIRCUIT_STATE_NAMES[this.breaker.state];
      return Object.values(CIRCUIT_STATE_NAMES).map((state) => ({
        labels: { component, state },
        value: state === current ? 1 : 0,
      }));
    });
  }

  /** The validated body of `GET path` for a single resource, or null when it answers 404. */
  async getJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
    const found = await this.call({
      method: 'GET',
      path,
      schema,
      retry: 'transient',
      notFoundMeansAbsent: true,
    });
    return found === null ? null : found.value;
  }

  /**
   * The validated body of `GET path` for a listing or query, which always exists: a 404 is a
   * `ComponentRequestError`, never an empty answer.
   */
  async getCollection<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    return this.expectFound(
      await this.call({
        method: 'GET',
        path,
        schema,
        retry: 'transient',
        notFoundMeansAbsent: false,
      }),
    );
  }

  /** The validated body of `POST path`; any 4xx (404 included) is a `ComponentRequestError`. */
  async postJson<T>(
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    options: PostOptions = {},
  ): Promise<T> {
    return this.expectFound(
      await this.call({
        method: 'POST',
        path,
        body,
        schema,
        retry: options.retry ?? 'transient',
        notFoundMeansAbsent: false,
        beforeSend: options.beforeSend,
      }),
    );
  }

  stats(): ComponentHttpStats {
    return { ...this.counters, circuitState: CIRCUIT_STATE_NAMES[this.breaker.state] };
  }

  /** Rejects queued calls, lets running ones finish, then closes the kept-alive connections. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.removeCircuitSource();
      await this.pacing?.stop({ dropWaitingJobs: true });
      await Promise.all([this.pool.close(), this.credentials.close()]);
    })();
    return this.closing;
  }

  private expectFound<T>(found: { value: T } | null): T {
    if (found === null) throw new Error('unreachable: 404 was not to mean "absent" here');
    return found.value;
  }

  /** Null only for a 404 that `call.notFoundMeansAbsent` allows. */
  private async call<T>(call: Call<T>): Promise<{ value: T } | null> {
    const label = `${call.method} ${call.path}`;
    let attempts = 0;
    let answer: Answer<T>;
    /** What `call.beforeSend` threw: the call's own error, not an unavailable component. */
    let notSent: { error: unknown } | undefined;
    try {
      answer = await this.retryPolicy.execute(() =>
        // Queued calls are started by whichever call finishes first: bound, each runs in its
        // own caller's async context (message context, logs), not in that other call's.
        this.paced(
          bindToMessageContext(() =>
            this.concurrency.execute(
              bindToMessageContext(() =>
                this.breaker.execute(async () => {
                  if (this.closing)
                    throw new ComponentUnavailableError(this.component, 'client closed');
                  if (attempts === 0 && call.beforeSend) {
                    try {
                      await call.beforeSend();
                    } catch (error) {
                      notSent = { error };
                      throw error;
                    }
                  }
                  attempts += 1;
                  return this.attempt(call);
                }),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      if (notSent) throw notSent.error;
      this.countFailure(call, callErrorKind(error));
      throw this.unavailable(label, attempts, error);
    }
    switch (answer.kind) {
      case 'ok':
        return { value: answer.value };
      case 'not_found':
        return null;
      case 'refused':
        this.countFailure(call, 'refused');
        throw new ComponentRequestError(
          this.component,
          answer.status,
          `${label}: ${answer.excerpt || 'refused'}`,
        );
      case 'malformed':
        this.countFailure(call, 'malformed');
        throw new ComponentUnavailableError(
          this.component,
          `${label}: malformed response: ${answer.problem}`,
        );
    }
  }

  private countFailure(call: Call<unknown>, kind: string): void {
    this.counters.failures += 1;
    BridgeMetrics.componentErrors.inc({
      component: this.component,
      endpoint: endpointLabel(call.method, call.path),
      kind,
    });
  }

  /** One attempt, timed for the latency histogram with the way it ended. */
  private async attempt<T>(call: Call<T>): Promise<Answer<T>> {
    const stop = BridgeMetrics.componentRequestDuration.startTimer({
      component: this.component,
      endpoint: endpointLabel(call.method, call.path),
    });
    try {
      const answer = await this.attemptOnce(call);
      stop({ outcome: answer.kind });
      return answer;
    } catch (error) {
      stop({ outcome: error instanceof AttemptFailure ? attemptOutcome(error) : 'error' });
      throw error;
    }
  }

  private paced<T>(job: () => Promise<T>): Promise<T> {
    return this.pacing ? this.pacing.schedule(job) : job();
  }

  private async attemptOnce<T>(call: Call<T>): Promise<Answer<T>> {
    const authorization = await this.authorize(call);
    const reply = await this.exchange(call, authorization);
    // A 401 to a renewable token mostly means it expired or was revoked since it was handed
    // out: one renewal, one more request. The component has not acted on a request it did not
    // authenticate, so this is safe for writes too. Not paced: it replaces a refused request.
    if (reply.status === 401 && authorization !== null && this.credentials.renewable) {
      this.credentials.discard(authorization);
      const renewed = await this.authorize(call);
      this.counters.retries += 1;
      const again = await this.exchange(call, renewed);
      return this.interpret(call, again.status, again.retryAfter, again.text);
    }
    return this.interpret(call, reply.status, reply.retryAfter, reply.text);
  }

  /** The `Authorization` header for this attempt; a token endpoint that is down fails it. */
  private async authorize(call: Call<unknown>): Promise<string | null> {
    try {
      return await this.credentials.authorization();
    } catch (error) {
      if (!(error instanceof TokenEndpointUnavailable)) throw error;
      const facts: AttemptFailureFacts = { kind: 'credentials', retryAfterMs: null };
      throw new AttemptFailure(
        'credentials',
        undefined,
        null,
        shouldRetry(facts, call.retry, this.retryAfterCapMs),
        error.message,
      );
    }
  }

  /** One request and its whole answer, within the manifest's `timeoutMs`. */
  private async exchange(
    call: Call<unknown>,
    authorization: string | null,
  ): Promise<{ status: number; retryAfter: string | string[] | undefined; text: string }> {
    this.counters.requests += 1;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.manifest.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (authorization !== null) headers.authorization = authorization;
    try {
      const response = await this.pool.request({
        method: call.method,
        path: this.pathPrefix + call.path,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: deadline.signal,
      });
      // Read inside the deadline: a component that stalls mid-body is as unavailable as one
      // that never answers.
      const text = await response.body.text();
      return { status: response.statusCode, retryAfter: response.headers['retry-after'], text };
    } catch (error) {
      const kind = callFailureOf(errorCode(error), deadline.signal.aborted);
      const facts: AttemptFailureFacts = { kind, retryAfterMs: null };
      throw new AttemptFailure(
        kind,
        undefined,
        null,
        shouldRetry(facts, call.retry, this.retryAfterCapMs),
        kind === 'timeout'
          ? `no answer within ${this.manifest.timeoutMs} ms`
          : `${kind === 'unreached' ? 'cannot connect' : 'connection lost'}: ${errorMessage(error)}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private interpret<T>(
    call: Call<T>,
    status: number,
    retryAfterHeader: string | string[] | undefined,
    text: string,
  ): Answer<T> {
    switch (classifyStatus(status, call.notFoundMeansAbsent)) {
      case 'ok':
        return parseBody(text, call.schema);
      case 'not_found':
        return { kind: 'not_found' };
      case 'refused':
        return { kind: 'refused', status, excerpt: text.slice(0, ERROR_BODY_EXCERPT) };
      case 'transient': {
        const requested = honoursRetryAfter(status)
          ? retryAfterMs(retryAfterHeader, Date.now())
          : null;
        const facts: AttemptFailureFacts = { kind: 'status', status, retryAfterMs: requested };
        throw new AttemptFailure(
          'status',
          status,
          requested,
          shouldRetry(facts, call.retry, this.retryAfterCapMs),
          `HTTP ${status}${requested === null ? '' : ` (Retry-After ${requested} ms)`}`,
        );
      }
    }
  }

  private unavailable(label: string, attempts: number, error: unknown): Error {
    if (error instanceof BrokenCircuitError) {
      return new ComponentUnavailableError(this.component, `${label}: circuit open`, {
        cause: error,
        unprocessed: true,
      });
    }
    if (error instanceof AttemptFailure) {
      const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
      return new ComponentUnavailableError(
        this.component,
        `${label}: ${error.message} after ${tries}`,
        // Only the last attempt's fate matters: earlier ones, if they were retried, were
        // themselves certainly unprocessed (see shouldRetry), or the call is not a write.
        { cause: error, unprocessed: certainlyUnprocessed(error) },
      );
    }
    if (error instanceof Bottleneck.BottleneckError) {
      return new ComponentUnavailableError(this.component, `${label}: client closed`, {
        cause: error,
        unprocessed: true,
      });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /**
   * Exponential backoff with decorrelated jitter (cockatiel's default generator), stretched to
   * what the component asked for when its answer carried a `Retry-After`.
   */
  private backoff(): DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>> {
    const exponential = new ExponentialBackoff({
      initialDelay: this.manifest.retry.initialDelayMs,
      maxDelay: this.manifest.retry.maxDelayMs,
    });
    return new DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>>(
      (context, previous) => {
        const step = previous ? previous.next(undefined) : exponential.next();
        return {
          delay: retryDelayMs(step.duration, requestedWait(context.result)),
          state: step,
        };
      },
    );
  }
}

function parseBody<T>(text: string, schema: z.ZodType<T>): Answer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'malformed', problem: `not JSON: ${text.slice(0, ERROR_BODY_EXCERPT)}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { kind: 'malformed', problem: problems.join('; ') };
  }
  return { kind: 'ok', value: parsed.data };
}

function requestedWait(result: FailureReason<unknown>): number | null {
  return 'error' in result && result.error instanceof AttemptFailure
    ? result.error.retryAfterMs
    : null;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
