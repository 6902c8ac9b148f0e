/**
 * Bridge's credentials for one component, as its manifest's `auth` declares them: nothing, a
 * static bearer token, or OAuth2 client credentials (RFC 6749 §4.4). `ComponentHttp` asks for
 * the `Authorization` header inside each attempt, right before the request goes out, and tells
 * the credentials when the component answered 401 so that a renewable token is replaced once.
 *
 * The OAuth2 source keeps one access token per component, renews it before it expires (see
 * `token-decisions.ts`) with at most one token request in flight however many calls wait for
 * it. A token endpoint that cannot answer is a transient failure (`TokenEndpointUnavailable`,
 * which the transport turns into a retryable attempt failure, so its retry and circuit breaker
 * apply); one that refuses the client is a `ComponentCredentialsError`. Neither error carries
 * the client secret or a token.
 */
import { Pool } from 'undici';
import type { ComponentAuth, ComponentManifest, Secret } from '@bridge/config';
import { ComponentCredentialsError, TransientError, errorMessage } from '@bridge/errors';
import {
  heldToken,
  readTokenAnswer,
  tokenFreshness,
  withoutSecrets,
  type HeldToken,
} from './token-decisions';

export interface ComponentCredentials {
  /** The `Authorization` header of the next request, or null when none is to be sent. */
  authorization(): Promise<string | null>;
  /** Whether a 401 is worth one more try: another `authorization()` may give another header. */
  readonly renewable: boolean;
  /**
   * The component answered 401 to `rejected`: it is not used again. A header that was already
   * replaced (another call saw the 401 first) is left alone, so that one refusal seen by many
   * calls costs one renewal.
   */
  discard(rejected: string): void;
  close(): Promise<void>;
}

/** The token endpoint could not give a token now; a later attempt may get one. */
export class TokenEndpointUnavailable extends TransientError {
  override readonly code = 'token_endpoint_unavailable';
}

export const NO_CREDENTIALS: ComponentCredentials = {
  renewable: false,
  authorization: () => Promise.resolve(null),
  discard: () => undefined,
  close: () => Promise.resolve(),
};

/** A token issued outside Bridge and read at start-up; a 401 cannot be helped by asking again. */
export class StaticBearerToken implements ComponentCredentials {
  readonly renewable = false;

  constructor(private readonly token: Secret) {}

  authorization(): Promise<string> {
    return Promise.resolve(`Bearer ${this.token.reveal()}`);
  }

  discard(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}

type OAuth2Auth = Extract<ComponentAuth, { kind: 'oauth2' }>;

export interface TokenSourceOptions {
  /** Deadline of one token request. */
  timeoutMs: number;
  /** The clock that dates tokens; tests move their own. */
  now?: () => number;
}

export class OAuth2ClientCredentials implements ComponentCredentials {
  readonly renewable = true;
  private readonly pool: Pool;
  private readonly path: string;
  /** Where tokens come from, for errors: no query string, no user information. */
  private readonly endpoint: string;
  private readonly now: () => number;
  /** A true private field: an inspected or logged object does not show the token. */
  #held: HeldToken | undefined;
  /** The token request in flight; every caller that needs a new token waits for this one. */
  private renewal: Promise<HeldToken> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly component: string,
    private readonly auth: OAuth2Auth,
    private readonly options: TokenSourceOptions,
  ) {
    const url = new URL(auth.tokenUrl);
    this.pool = new Pool(url.origin, { connections: 1 });
    this.path = url.pathname + url.search;
    this.endpoint = url.origin + url.pathname;
    this.now = options.now ?? Date.now;
  }

  async authorization(): Promise<string> {
    const held = this.#held;
    const freshness = tokenFreshness(held, this.now());
    if (held && freshness === 'fresh') return bearer(held);
    try {
      return bearer(await this.renew());
    } catch (error) {
      // Renewing early is for this: while the endpoint is briefly down, the token in hand
      // still serves until it expires.
      if (
        held &&
        freshness === 'renewal_due' &&
        this.#held === held &&
        error instanceof TokenEndpointUnavailable
      ) {
        return bearer(held);
      }
      throw error;
    }
  }

  discard(rejected: string): void {
    if (this.#held && bearer(this.#held) === rejected) this.#held = undefined;
  }

  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }

  private renew(): Promise<HeldToken> {
    this.renewal ??= this.requestToken()
      .then((token) => {
        this.#held = token;
        return token;
      })
      .finally(() => {
        this.renewal = undefined;
      });
    return this.renewal;
  }

  private async requestToken(): Promise<HeldToken> {
    const requestedAt = this.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: this.path,
        headers: this.requestHeaders(),
        body: this.requestBody(),
        signal: deadline.signal,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      // No `cause`: a request error is an object a log might print whole, headers and all.
      throw new TokenEndpointUnavailable(
        this.describe(
          deadline.signal.aborted
            ? `no answer within ${this.options.timeoutMs} ms`
            : `cannot get a token: ${errorMessage(error)}`,
        ),
      );
    } finally {
      clearTimeout(timer);
    }
    const answer = readTokenAnswer(status, text, this.now(), this.secretForms());
    switch (answer.kind) {
      case 'token':
        return heldToken(answer.accessToken, requestedAt, answer.lifetimeMs);
      case 'transient':
        throw new TokenEndpointUnavailable(this.describe(answer.reason));
      case 'refused':
        throw new ComponentCredentialsError(
          this.component,
          this.describe(`client ${this.auth.clientId} refused: ${answer.reason}`),
        );
    }
  }

  private requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (this.auth.clientAuthentication === 'basic') {
      headers.authorization = `Basic ${this.basicCredentials()}`;
    }
    return headers;
  }

  private requestBody(): string {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.auth.scopes.length > 0) form.set('scope', this.auth.scopes.join(' '));
    if (this.auth.audience) form.set('audience', this.auth.audience);
    if (this.auth.clientAuthentication === 'body') {
      form.set('client_id', this.auth.clientId);
      form.set('client_secret', this.auth.clientSecret.reveal());
    }
    return form.toString();
  }

  /** RFC 6749 §2.3.1: both parts form-encoded before they are joined and Base64-encoded. */
  private basicCredentials(): string {
    const pair = `${formEncoded(this.auth.clientId)}:${formEncoded(this.auth.clientSecret.reveal())}`;
    return Buffer.from(pair).toString('base64');
  }

  /**
   * The secret in every encoding it is sent in, to be blanked out should the endpoint or the
   * network layer ever echo it back. Computed when needed rather than kept in a field, where
   * an inspected object would show it.
   */
  private secretForms(): string[] {
    const secret = this.auth.clientSecret.reveal();
    return [secret, formEncoded(secret), this.basicCredentials()];
  }

  /** A reason with where it comes from, without the secret. */
  private describe(reason: string): string {
    return withoutSecrets(`token endpoint ${this.endpoint}: ${reason}`, this.secretForms());
  }
}

function bearer(token: HeldToken): string {
  return `Bearer ${token.value}`;
}

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B). */
function formEncoded(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice('v='.length);
}

/** The credentials a component's manifest declares. */
export function credentialsFor(
  component: string,
  manifest: Pick<ComponentManifest, 'auth' | 'timeoutMs'>,
  now?: () => number,
): ComponentCredentials {
  const { auth } = manifest;
  switch (auth.kind) {
    case 'none':
      return NO_CREDENTIALS;
    case 'bearer':
      return new StaticBearerToken(auth.token);
    case 'oauth2':
      return new OAuth2ClientCredentials(component, auth, { timeoutMs: manifest.timeoutMs, now });
  }
}
