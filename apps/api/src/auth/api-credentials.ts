/**
 * Who is calling the query API, from its `Authorization: Bearer …` header: a token configured as
 * the SHA-256 of its value (`API_TOKENS`), or a JWT verified with the configured key (jose).
 * Roles: `reader` may read, `admin` may also write (resolve, approve, ask for a scan).
 *
 * Tokens are compared in constant time (`timingSafeEqual` on the digests, against every entry,
 * so the time taken says nothing about which entry came close). The pure parts (parsing the
 * header, what a role allows, reading a JWT's claims) are exported for their tests.
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

export interface Principal {
  /** The token's name, or the JWT's subject: recorded as who resolved or approved. */
  name: string;
  role: ApiRole;
}

/** The bearer credential of an `Authorization` header, or null when there is none. */
export function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** True when `role` may do what `needed` is required for (an admin may also read). */
export function roleAllows(role: ApiRole, needed: ApiRole): boolean {
  return role === 'admin' || needed === 'reader';
}

/** The hex SHA-256 of a token, as `API_TOKENS` lists it. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The role a JWT's claims grant: `role`, or the strongest of `roles`; null when none. */
export function roleOfClaims(claims: Record<string, unknown>): ApiRole | null {
  const roles = Array.isArray(claims.roles) ? claims.roles : [claims.role];
  if (roles.includes('admin')) return 'admin';
  if (roles.includes('reader')) return 'reader';
  return null;
}

/** Most characters a bearer credential may have before it is refused unread. */
const MAX_CREDENTIAL_LENGTH = 8_192;

export class ApiCredentials {
  private readonly digests: Array<{ digest: Buffer; name: string; role: ApiRole }>;
  private readonly jwtKey: KeyObject | null;

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
        issuer: this.config.jwt?.issuer,
        audience: this.config.jwt?.audience,
      });
      const role = roleOfClaims(payload);
      if (!role) return null;
      return { name: payload.sub ?? 'jwt', role };
    } catch {
      return null;
    }
  }
}
