/**
 * Pure decisions behind the OAuth2 token source (`OAuth2ClientCredentials` in
 * `component-credentials.ts`): what a token endpoint's answer means, how long a token lives,
 * and when a held token is due for renewal.
 *
 * Kept apart from the I/O, like `retry-decisions.ts`, so that every rule is unit-tested without
 * a server or a clock. Nothing here puts a token into a reason: reasons end up in errors.
 */
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { isTransientStatus } from './retry-decisions';

/** A token is replaced once this share of its lifetime has passed, before it can expire. */
export const RENEW_AT_SHARE = 0.8;

/**
 * A token is used at least this long (or until it expires, if sooner), so that an endpoint
 * handing out very short-lived tokens is not asked again on nearly every call.
 */
export const MIN_TOKEN_USE_MS = 1_000;

/**
 * Lifetime assumed when the answer states none (`expires_in` is only RECOMMENDED, RFC 6749
 * §5.1) and the token is not a JWT with `exp`: a 401 renews it earlier if need be.
 */
export const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;

/** How much of the endpoint's error description goes into a reason. */
const DESCRIPTION_EXCERPT = 200;

/** An access token in hand, with the moments that decide its use. */
export interface HeldToken {
  value: string;
  /** From here on it is renewed before use. */
  renewAt: number;
  /** From here on it is not used at all. */
  expiresAt: number;
}

/**
 * `token`: a usable access token. `transient`: the endpoint could not answer usefully now
 * (5xx, 429, an answer that is not a token): a later call may succeed. `refused`: the endpoint
 * refused the client (any other status): the configuration must change.
 */
export type TokenAnswer =
  | { kind: 'token'; accessToken: string; lifetimeMs: number }
  | { kind: 'transient'; reason: string }
  | { kind: 'refused'; reason: string };

export type TokenFreshness = 'missing' | 'fresh' | 'renewal_due' | 'expired';

/** RFC 6749 §5.1; `expires_in` also as a numeric string, which some servers send. */
const TokenResponseSchema = z.object({
  // Visible ASCII only: it goes into a header (RFC 6750 §2.1 b64token is narrower still).
  access_token: z.string().regex(/^[\x21-\x7e]+$/),
  token_type: z.string().optional(),
  expires_in: z
    .union([
      z.number().positive(),
      z
        .string()
        .regex(/^\d+(\.\d+)?$/)
        .transform(Number),
    ])
    .optional(),
});

/** RFC 6749 §5.2. */
const TokenErrorSchema = z.object({
  error: z.string().regex(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/),
  error_description: z.string().optional(),
});

/**
 * What a token endpoint's answer (`status`, body `text`) means, at `now`. `secrets` are blanked
 * out of what the endpoint says before it is shortened, so that no part of one gets through.
 */
export function readTokenAnswer(
  status: number,
  text: string,
  now: number,
  secrets: readonly string[] = [],
): TokenAnswer {
  if (status >= 200 && status <= 299) return readTokenResponse(text, now);
  const reason = `HTTP ${status}${tokenErrorOf(text, secrets)}`;
  return isTransientStatus(status) ? { kind: 'transient', reason } : { kind: 'refused', reason };
}

function readTokenResponse(text: string, now: number): TokenAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The body is not quoted: it may hold a token all the same.
    return { kind: 'transient', reason: 'the token response is not JSON' };
  }
  const parsed = TokenResponseSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))];
    return {
      kind: 'transient',
      reason: `the token response has no usable ${fields.join(', ') || 'body'}`,
    };
  }
  const { access_token, token_type, expires_in } = parsed.data;
  // A token of another type (DPoP, MAC) needs a proof Bridge does not make; asking again
  // would get the same type.
  if (token_type !== undefined && token_type.toLowerCase() !== 'bearer') {
    return { kind: 'refused', reason: `token type ${token_type.slice(0, 20)} is not Bearer` };
  }
  return {
    kind: 'token',
    accessToken: access_token,
    lifetimeMs: tokenLifetimeMs(expires_in, access_token, now),
  };
}

/** ` invalid_client: description`, or nothing when the body is not an RFC 6749 error. */
function tokenErrorOf(text: string, secrets: readonly string[]): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return '';
  }
  const parsed = TokenErrorSchema.safeParse(json);
  if (!parsed.success) return '';
  const description =
    parsed.data.error_description === undefined
      ? undefined
      : withoutSecrets(parsed.data.error_description, secrets).slice(0, DESCRIPTION_EXCERPT);
  return ` ${parsed.data.error}${description ? `: ${description}` : ''}`;
}

/** `text` with every occurrence of each of `secrets` replaced by `[secret]`. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let blanked = text;
  for (const secret of secrets) {
    if (secret !== '') blanked = blanked.split(secret).join('[secret]');
  }
  return blanked;
}

/**
 * How long a token lives from when it was asked for: `expires_in` when given, else the `exp`
 * of a JWT access token (read, not verified: it only schedules the renewal), else the default.
 */
export function tokenLifetimeMs(
  expiresInSeconds: number | undefined,
  accessToken: string,
  now: number,
): number {
  if (expiresInSeconds !== undefined) return expiresInSeconds * 1000;
  try {
    const { exp } = decodeJwt(accessToken);
    if (exp !== undefined && exp * 1000 > now) return exp * 1000 - now;
  } catch {
    // Not a JWT: an opaque token, whose lifetime only the server knows.
  }
  return DEFAULT_TOKEN_LIFETIME_MS;
}

/**
 * A token asked for at `requestedAt`: counting from the request rather than the answer keeps
 * the expiry on the safe side by the time the answer took.
 */
export function heldToken(value: string, requestedAt: number, lifetimeMs: number): HeldToken {
  const useFor = Math.min(lifetimeMs, Math.max(MIN_TOKEN_USE_MS, lifetimeMs * RENEW_AT_SHARE));
  return { value, renewAt: requestedAt + useFor, expiresAt: requestedAt + lifetimeMs };
}

/** Whether `token` may be sent at `now`, and whether it is time to renew it. */
export function tokenFreshness(token: HeldToken | undefined, now: number): TokenFreshness {
  if (!token) return 'missing';
  if (now < token.renewAt) return 'fresh';
  if (now < token.expiresAt) return 'renewal_due';
  return 'expired';
}
