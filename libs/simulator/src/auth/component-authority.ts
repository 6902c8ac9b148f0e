/**
 * Who may call the simulated components: what `ComponentAuthMiddleware` asks before each
 * component request and what the simulator's token endpoint (`POST /oauth/token`) asks before
 * issuing an access token, per `SIM_AUTH` (see `sim-auth-settings.ts`).
 *
 * With `oauth2` it accepts only tokens it issued, until they expire or until the admin API
 * revokes them all, so that tests see Bridge renew tokens before they expire and recover from a
 * revocation with one renewal. Everything lives in memory, like the rest of the simulator.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SimAuthSettings } from './sim-auth-settings';

/** A client-credentials token request (RFC 6749 §4.4.2), its client authentication included. */
export interface TokenRequest {
  grantType?: string;
  clientId?: string;
  clientSecret?: string;
  audience?: string;
  scope?: string;
}

/** What the token endpoint answers: a token (RFC 6749 §5.1) or an error (§5.2). */
export type TokenDecision =
  | { kind: 'issued'; accessToken: string; expiresInSeconds: number; scope?: string }
  | {
      kind: 'refused';
      status: 400 | 401 | 404;
      error: string;
      description: string;
    };

export interface SimAuthStatus {
  kind: SimAuthSettings['kind'];
  tokensIssued: number;
  /** Issued, not expired, not revoked. */
  tokensActive: number;
  tokensRevoked: number;
  /** Component requests answered 401. */
  requestsRejected: number;
}

/** Digests compared in constant time, so that neither length nor content leaks through timing. */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export class ComponentAuthority {
  /** Issued access tokens and when each expires. */
  private readonly tokens = new Map<string, number>();
  private readonly counts = { issued: 0, revoked: 0, rejected: 0 };

  constructor(
    private readonly settings: SimAuthSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get kind(): SimAuthSettings['kind'] {
    return this.settings.kind;
  }

  /** Whether a component request with this `Authorization` header may pass. */
  authenticates(authorization: string | undefined): boolean {
    if (this.settings.kind === 'none') return true;
    const token = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? '')?.[1];
    const accepted =
      this.settings.kind === 'bearer'
        ? sameSecret(token, this.settings.token)
        : token !== undefined && (this.tokens.get(token) ?? 0) > this.now();
    if (!accepted) this.counts.rejected += 1;
    return accepted;
  }

  issue(request: TokenRequest): TokenDecision {
    const settings = this.settings;
    if (settings.kind !== 'oauth2') {
      return {
        kind: 'refused',
        status: 404,
        error: 'not_found',
        description: `SIM_AUTH is ${settings.kind}: no token endpoint`,
      };
    }
    if (request.grantType !== 'client_credentials') {
      return {
        kind: 'refused',
        status: 400,
        error: 'unsupported_grant_type',
        description: 'only client_credentials',
      };
    }
    if (
      request.clientId !== settings.clientId ||
      !sameSecret(request.clientSecret, settings.clientSecret)
    ) {
      return {
        kind: 'refused',
        status: 401,
        error: 'invalid_client',
        description: 'unknown client or wrong secret',
      };
    }
    if (settings.audience !== undefined && request.audience !== settings.audience) {
      return {
        kind: 'refused',
        status: 400,
        error: 'invalid_request',
        description: `audience must be ${settings.audience}`,
      };
    }
    this.forgetExpired();
    const accessToken = `sim-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, this.now() + settings.tokenTtlMs);
    this.counts.issued += 1;
    return {
      kind: 'issued',
      accessToken,
      // Seconds, as RFC 6749 has it; fractional when the configured lifetime is not whole
      // seconds, so that a short test lifetime is announced as it is.
      expiresInSeconds: settings.tokenTtlMs / 1000,
      scope: request.scope,
    };
  }

  /** Every token issued so far stops working at once; clients must get new ones. */
  revokeAll(): number {
    this.forgetExpired();
    const revoked = this.tokens.size;
    this.tokens.clear();
    this.counts.revoked += revoked;
    return revoked;
  }

  status(): SimAuthStatus {
    this.forgetExpired();
    return {
      kind: this.settings.kind,
      tokensIssued: this.counts.issued,
      tokensActive: this.tokens.size,
      tokensRevoked: this.counts.revoked,
      requestsRejected: this.counts.rejected,
    };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [token, expiresAt] of this.tokens) {
      if (expiresAt <= now) this.tokens.delete(token);
    }
  }
}
