/**
 * The one error hierarchy of Bridge Sync.
 *
 * Every service classifies failures through these types, because the consumer loop, the HTTP
 * layer and the repair executor all decide on the class: a `TransientError` is retried with
 * backoff, a `PermanentError` is dead-lettered (or answered with a 4xx) at once, and a
 * `ConfigError` stops the process at start-up.
 */

export abstract class BridgeError extends Error {
  /** Short machine-readable code, stable across releases (used in dead letters and API errors). */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration is missing or invalid; the service must not start. */
export class ConfigError extends BridgeError {
  readonly code = 'config_invalid';
}

/** A failure that may go away on its own (timeouts, 5xx, broker or database unavailable). */
export class TransientError extends BridgeError {
  readonly code: string = 'transient';
}

/**
 * A piece of infrastructure Bridge depends on did not answer (the schema registry, where no
 * driver error code says so already). Not the message's fault: the consumer loop holds the
 * message until it answers again instead of dead-lettering it (see `isInfrastructureOutage`).
 */
export class InfrastructureUnavailableError extends TransientError {
  override readonly code = 'infrastructure_unavailable';
}

/** A failure that retrying cannot fix: the input itself is wrong. */
export class PermanentError extends BridgeError {
  readonly code: string = 'permanent';
}

/** Bytes that are not a readable Avro event (bad magic byte, unknown schema id, truncated body). */
export class UndecodableMessageError extends PermanentError {
  override readonly code = 'undecodable';
}

/** A decoded or outgoing event that does not match its topic's schema. */
export class InvalidEventError extends PermanentError {
  override readonly code = 'invalid';

  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length > 0 ? `${message}: ${problems.join('; ')}` : message);
  }
}

/** An id names nothing: no such finding, repair job or scan (an API answers 404). */
export class NotFoundError extends PermanentError {
  override readonly code = 'not_found';
}

/**
 * The request is valid but the thing is not in a state that allows it, e.g. approving a repair
 * that is not awaiting approval (an API answers 409).
 */
export class StateConflictError extends PermanentError {
  override readonly code = 'state_conflict';
}

/** A scan was asked for while another one is requested or running (an API answers 409). */
export class ScanInProgressError extends StateConflictError {
  constructor(readonly scanId: string) {
    super(`scan ${scanId} is already in progress`);
  }
}

/**
 * A stored row does not have the shape its kind requires: a bug in a writer or a hand edit.
 * Reading it again cannot help, so it is permanent; the message names the row and the fields.
 */
export class InvalidRecordError extends PermanentError {
  override readonly code = 'invalid_record';
}

/**
 * A component (Cappella, Hippo, Canon) did not answer usefully: timeout, 5xx, 429, connection
 * refused, or its circuit breaker is open. Retried by the caller's retry tiers.
 */
export class ComponentUnavailableError extends TransientError {
  override readonly code = 'component_unavailable';
  /**
   * True when the component certainly did not act on the request (never reached, refused it
   * unprocessed with 429 or 503, or the circuit was open); false when it may have. Writes that
   * must not happen twice (submitting a run) are repeated only when this is true.
   */
  readonly unprocessed: boolean;

  constructor(
    readonly component: string,
    message: string,
    options?: { cause?: unknown; unprocessed?: boolean },
  ) {
    super(`${component}: ${message}`, options);
    this.unprocessed = options?.unprocessed ?? false;
  }
}

/** A component refused a request (a 4xx other than 404/429): retrying the same call cannot help. */
export class ComponentRequestError extends PermanentError {
  override readonly code = 'component_refused';

  constructor(
    readonly component: string,
    readonly status: number,
    message: string,
  ) {
    super(`${component}: HTTP ${status}: ${message}`);
  }
}

/**
 * Bridge's credentials for a component were refused where they are issued (the OAuth2 token
 * endpoint answered a 4xx: wrong client id or secret, a scope or audience not granted). No
 * retry can fix that; the configuration must change. The message never contains the secret.
 */
export class ComponentCredentialsError extends PermanentError {
  override readonly code = 'component_credentials_refused';

  constructor(
    readonly component: string,
    message: string,
  ) {
    super(`${component}: ${message}`);
  }
}

/**
 * True when the error says a piece of infrastructure (the database, the broker, the network to
 * them) is down, rather than that this message or call is wrong: connection refused or reset,
 * PostgreSQL connection exceptions (SQLSTATE class 08), shutdown or start-up (57P01–57P03), a
 * database refusing connections, kafkajs connection and request-timeout errors, and any answer
 * a Kafka broker marks retriable (a leader or coordinator moving or loading, too few in-sync
 * replicas: the state of a broker restarting). The consumer loop waits out such an outage
 * instead of dead-lettering one message after another, since every message would fail the same
 * way. Looks through `cause` (kafkajs's "retries exceeded" wraps the last error there) and
 * TypeORM's `driverError` chains.
 */
export function isInfrastructureOutage(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 6; depth += 1) {
    if (typeof current !== 'object') return false;
    if (current instanceof InfrastructureUnavailableError) return true;
    const { code, name, message, retriable, type } = current as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      retriable?: unknown;
      type?: unknown;
    };
    if (typeof code === 'string' && OUTAGE_CODES.test(code)) return true;
    if (typeof name === 'string' && OUTAGE_KAFKA_ERRORS.has(name)) return true;
    if (name === 'KafkaJSProtocolError' && retriable === true && type !== 'CORRUPT_MESSAGE') {
      return true;
    }
    if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) return true;
    const next = current as { cause?: unknown; driverError?: unknown };
    current = next.driverError ?? next.cause;
  }
  return false;
}

const OUTAGE_CODES =
  /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|08\w{3}|57P0[123])$/;
/**
 * kafkajs's errors for a broker out of reach. Named here rather than imported: this library
 * stays free of transport packages.
 */
const OUTAGE_KAFKA_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
]);
const OUTAGE_MESSAGES =
  /Connection terminated|not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)|Client has encountered a connection error/i;

/** A dependency did not answer within the time a caller could give it (a probe, a scrape). */
export class DeadlineExceededError extends TransientError {
  override readonly code = 'deadline_exceeded';
}

/**
 * `work`'s result, or a `DeadlineExceededError` once `ms` have passed. The work itself goes
 * on (a promise cannot be cancelled); callers that poll keep from stacking such work up.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DeadlineExceededError(`${what}: no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message of an error for logs and reasons; a thrown non-Error is shown as it is. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
