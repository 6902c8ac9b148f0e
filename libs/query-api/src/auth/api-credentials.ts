/**
 * Who is calling the query API, from its `Authorization: Bearer …` header: a token configured as
 * the SHA-256 of its value (`API_TOKENS`), or a JWT verified with the configured key (jose).
 * Roles: `reader` may read, `admin` may also write (resolve, approve, ask for a scan), and
 * `producer` may only hand events in over HTTP ingestion (a component's credential reads no
 * finding and changes none; neither may a reader or an admin pose as a component).
 *
 * Tokens are compared in constant time (`timingSafeEqual` on the digests, against every entry,
 * so the time taken says nothing about which entry came close). JWTs are verified with the
 * algorithms of the configured key's type only (the token's own `alg` header chooses nothing:
 * no `none`, no HMAC keyed with a public key), must name a subject and expire, and may not
 * live longer than the configured maximum age. The pure parts (parsing the header, what a role
 * allows, reading a JWT's claims, which algorithms a key allows) are exported for their tests.
 */
import {
  createHash,
  createPublicKey,
  createSecretKey,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { jwtVerify } from 'jose';
import type { ApiAuthConfig, ApiRole } from '@bridge/config';
import { ConfigError } from '@bridge/errors';
import type { Request } from 'express';

export interface Principal {
  /** The token's name, or the JWT's subject: recorded as who resolved or approved. */
  name: string;
  role: ApiRole;
}

/** A request the API guard let through, with who made it. */
export type AuthenticatedRequest = Request & { principal: Principal };

/** The bearer credential of an `Authorization` header, or null when there is none. */
export function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/**
 * True when `role` may do what `needed` is required for: an admin may also read, and producing
 * is a role of its own that neither includes nor is included in the others.
 */
export function roleAllows(role: ApiRole, needed: ApiRole): boolean {
  if (role === 'producer' || needed === 'producer') return role === needed;
  return role === 'admin' || needed === 'reader';
}

/** The hex SHA-256 of a token, as `API_TOKENS` lists it. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The role a JWT's claims grant: `role`, or the strongest of `roles` (admin, then reader, then
 * producer); null when none.
 */
export function roleOfClaims(claims: Record<string, unknown>): ApiRole | null {
  const roles = Array.isArray(claims.roles) ? claims.roles : [claims.role];
  if (roles.includes('admin')) return 'admin';
  if (roles.includes('reader')) return 'reader';
  if (roles.includes('producer')) return 'producer';
  return null;
}

/** The JWS algorithms a key of this type verifies: the key decides, never the token's header. */
export function algorithmsFor(key: KeyObject): string[] {
  if (key.type === 'secret') return ['HS256', 'HS384', 'HS512'];
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec':
      return (
        { prime256v1: ['ES256'], secp384r1: ['ES384'], secp521r1: ['ES512'] }[
          key.asymmetricKeyDetails?.namedCurve ?? ''
        ] ?? []
      );
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

/**
 * Whether a verified token lives longer than `maxAgeSeconds`: from its `iat` to its `exp`, or
 * from now when it has no `iat`.
 */
export function outlivesMaxAge(
  claims: { exp?: number; iat?: number },
  maxAgeSeconds: number,
  nowSeconds: number = Math.floor(Date.now() / 1_000),
): boolean {
  if (claims.exp === undefined) return true;
  return claims.exp - (claims.iat ?? nowSeconds) > maxAgeSeconds;
}

/** Most characters a bearer credential may have before it is refused unread. */
const MAX_CREDENTIAL_LENGTH = 8_192;

export class ApiCredentials {
  private readonly digests: Array<{ digest: Buffer; name: string; role: ApiRole }>;
  private readonly jwtKey: KeyObject | null;
  private readonly jwtAlgorithms: string[];

  constructor(private readonly config: Pick<ApiAuthConfig, 'tokens' | 'jwt'>) {
    this.digests = config.tokens.map((token) => ({
      digest: Buffer.from(token.sha256Hex, 'hex'),
      name: token.name,
      role: token.role,
    }));
    this.jwtKey = config.jwt?.publicKey
      ? createPublicKey(config.jwt.publicKey)
      : config.jwt?.secret
        ? createSecretKey(Buffer.from(config.jwt.secret, 'utf8'))
        : null;
    this.jwtAlgorithms = this.jwtKey ? algorithmsFor(this.jwtKey) : [];
    if (this.jwtKey && this.jwtAlgorithms.length === 0) {
      throw new ConfigError(
        `API_JWT_PUBLIC_KEY: a ${this.jwtKey.asymmetricKeyType ?? 'unknown'} key, which verifies no JWS algorithm Bridge accepts (RSA, EC P-256/384/521, Ed25519)`,
      );
    }
  }

  /** True when any credential is configured (an API without one can serve nobody). */
  get configured(): boolean {
    return this.digests.length > 0 || this.jwtKey !== null;
  }

  /** The caller, or null when the header carries no credential this API accepts. */
  async authenticate(header: string | undefined): Promise<Principal | null> {
    const credential = bearerOf(header);
    if (!credential || credential.length > MAX_CREDENTIAL_LENGTH) return null;
    const byToken = this.byToken(credential);
    if (byToken) return byToken;
    return this.looksLikeJwt(credential) ? this.byJwt(credential) : null;
  }

  private byToken(credential: string): Principal | null {
    const digest = createHash('sha256').update(credential, 'utf8').digest();
    let found: Principal | null = null;
    for (const entry of this.digests) {
      // Every entry is compared, so the time taken does not depend on which one matches.
      if (timingSafeEqual(digest, entry.digest) && !found) {
        found = { name: entry.name, role: entry.role };
      }
    }
    return found;
  }

  private looksLikeJwt(credential: string): boolean {
    return this.jwtKey !== null && credential.split('.').length === 3;
  }

  private async byJwt(credential: string): Promise<Principal | null> {
    if (!this.jwtKey) return null;
    try {
      const { payload } = await jwtVerify(credential, this.jwtKey, {
        algorithms: this.jwtAlgorithms,
        issuer: this.config.jwt?.issuer,
        audience: this.config.jwt?.audience,
        requiredClaims: ['exp', 'sub'],
      });
      if (outlivesMaxAge(payload, this.config.jwt?.maxAgeSeconds ?? 0)) return null;
      const role = roleOfClaims(payload);
      if (!role || !payload.sub) return null;
      return { name: payload.sub, role };
    } catch {
      return null;
    }
  }
}
