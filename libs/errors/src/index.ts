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

/** A referenced thing (event, run, scan, dead letter) does not exist. */
export class NotFoundError extends PermanentError {
  override readonly code = 'not_found';
}

/**
 * A component (Cappella, Hippo, Canon) did not answer usefully: timeout, 5xx, 429, connection
 * refused, or its circuit breaker is open. Retried by the caller's retry tiers.
 */
export class ComponentUnavailableError extends TransientError {
  override readonly code = 'component_unavailable';

  constructor(
    readonly component: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${component}: ${message}`, options);
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
