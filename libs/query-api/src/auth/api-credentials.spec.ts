import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { ConfigError } from '@bridge/errors';
import {
  ApiCredentials,
  algorithmsFor,
  bearerOf,
  outlivesMaxAge,
  roleAllows,
  roleOfClaims,
  tokenDigest,
} from './api-credentials';

const SECRET = 'a-test-secret-of-at-least-thirty-two-characters';

function credentials(jwt = true) {
  return new ApiCredentials({
    tokens: [
      { role: 'reader', name: 'grafana', sha256Hex: tokenDigest('reader-token') },
      { role: 'admin', name: 'alice', sha256Hex: tokenDigest('admin-token') },
    ],
    jwt: jwt ? { secret: SECRET, issuer: 'bridge-tests', maxAgeSeconds: 3_600 } : null,
  });
}

const jwtFor = (claims: Record<string, unknown>, secret = SECRET, expiresIn = '5m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bob')
    .setIssuer('bridge-tests')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

describe('the pure parts', () => {
  it('reads a bearer credential and nothing else', () => {
    expect(bearerOf('Bearer abc.def')).toBe('abc.def');
    expect(bearerOf('bearer   xyz  ')).toBe('xyz');
    expect(bearerOf('Basic dXNlcjpwYXNz')).toBeNull();
    expect(bearerOf('Bearer')).toBeNull();
    expect(bearerOf(undefined)).toBeNull();
  });

  it('lets an admin read and write, a reader only read', () => {
    expect(roleAllows('admin', 'admin')).toBe(true);
    expect(roleAllows('admin', 'reader')).toBe(true);
    expect(roleAllows('reader', 'reader')).toBe(true);
    expect(roleAllows('reader', 'admin')).toBe(false);
  });

  it('keeps producing apart: a producer only produces, and only a producer may', () => {
    expect(roleAllows('producer', 'producer')).toBe(true);
    expect(roleAllows('producer', 'reader')).toBe(false);
    expect(roleAllows('producer', 'admin')).toBe(false);
    expect(roleAllows('reader', 'producer')).toBe(false);
    expect(roleAllows('admin', 'producer')).toBe(false);
  });

  it('takes the strongest role a JWT claims', () => {
    expect(roleOfClaims({ role: 'reader' })).toBe('reader');
    expect(roleOfClaims({ roles: ['reader', 'admin'] })).toBe('admin');
    expect(roleOfClaims({ roles: ['producer'] })).toBe('producer');
    expect(roleOfClaims({ roles: ['producer', 'reader'] })).toBe('reader');
    expect(roleOfClaims({ roles: ['superuser'] })).toBeNull();
    expect(roleOfClaims({})).toBeNull();
  });
});

describe('ApiCredentials', () => {
  it('knows configured tokens by their digest, with their name and role', async () => {
    const subject = credentials();
    await expect(subject.authenticate('Bearer reader-token')).resolves.toEqual({
      name: 'grafana',
      role: 'reader',
    });
    await expect(subject.authenticate('Bearer admin-token')).resolves.toEqual({
      name: 'alice',
      role: 'admin',
    });
    await expect(subject.authenticate('Bearer admin-token-nearly')).resolves.toBeNull();
    await expect(subject.authenticate(undefined)).resolves.toBeNull();
    await expect(subject.authenticate(`Bearer ${'x'.repeat(10_000)}`)).resolves.toBeNull();
  });

  it('accepts a JWT signed with the configured key, from the configured issuer, with a role', async () => {
    const subject = credentials();
    await expect(
      subject.authenticate(`Bearer ${await jwtFor({ role: 'admin' })}`),
    ).resolves.toEqual({ name: 'bob', role: 'admin' });
    await expect(
      subject.authenticate(
        `Bearer ${await jwtFor({ role: 'admin' }, 'another-secret-of-thirty-two-characters!!')}`,
      ),
    ).resolves.toBeNull();
    await expect(
      subject.authenticate(`Bearer ${await jwtFor({ role: 'admin' }, SECRET, '-1m')}`),
    ).resolves.toBeNull();
    await expect(
      subject.authenticate(`Bearer ${await jwtFor({ role: 'guest' })}`),
    ).resolves.toBeNull();
  });

  it('refuses JWTs when no key is configured, and says whether any credential is', async () => {
    const subject = credentials(false);
    await expect(
      subject.authenticate(`Bearer ${await jwtFor({ role: 'admin' })}`),
    ).resolves.toBeNull();
    expect(subject.configured).toBe(true);
    expect(new ApiCredentials({ tokens: [], jwt: null }).configured).toBe(false);
  });
});

describe('JWT attacks', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rsaCredentials = new ApiCredentials({
    tokens: [],
    jwt: { publicKey: publicPem, issuer: 'idp', audience: 'bridge', maxAgeSeconds: 3_600 },
  });
  const signed = (
    build: (jwt: SignJWT) => SignJWT = (jwt) => jwt,
    claims: Record<string, unknown> = { role: 'admin' },
  ) =>
    build(
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('carol')
        .setIssuer('idp')
        .setAudience('bridge')
        .setIssuedAt()
        .setExpirationTime('10m'),
    ).sign(rsa.privateKey);

  it('accepts a well-formed RS256 token from the configured issuer for the configured audience', async () => {
    await expect(rsaCredentials.authenticate(`Bearer ${await signed()}`)).resolves.toEqual({
      name: 'carol',
      role: 'admin',
    });
  });

  it('refuses alg none', async () => {
    const unsecured = new UnsecuredJWT({ role: 'admin' })
      .setSubject('mallory')
      .setIssuer('idp')
      .setAudience('bridge')
      .setIssuedAt()
      .setExpirationTime('10m')
      .encode();
    await expect(rsaCredentials.authenticate(`Bearer ${unsecured}`)).resolves.toBeNull();
    await expect(credentials().authenticate(`Bearer ${unsecured}`)).resolves.toBeNull();
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const forged = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer('idp')
      .setAudience('bridge')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(publicPem));
    await expect(rsaCredentials.authenticate(`Bearer ${forged}`)).resolves.toBeNull();
  });

  it('refuses a token without exp, with a past exp, or living longer than the maximum age', async () => {
    const noExp = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('carol')
      .setIssuer('idp')
      .setAudience('bridge')
      .setIssuedAt()
      .sign(rsa.privateKey);
    await expect(rsaCredentials.authenticate(`Bearer ${noExp}`)).resolves.toBeNull();
    const past = await signed((jwt) => jwt.setExpirationTime('-1m'));
    await expect(rsaCredentials.authenticate(`Bearer ${past}`)).resolves.toBeNull();
    const yearLong = await signed((jwt) => jwt.setExpirationTime('365d'));
    await expect(rsaCredentials.authenticate(`Bearer ${yearLong}`)).resolves.toBeNull();
  });

  it('refuses a token without sub', async () => {
    const noSub = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('idp')
      .setAudience('bridge')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(rsa.privateKey);
    await expect(rsaCredentials.authenticate(`Bearer ${noSub}`)).resolves.toBeNull();
  });

  it('refuses the wrong issuer and the wrong audience', async () => {
    const otherIssuer = await signed((jwt) => jwt.setIssuer('elsewhere'));
    await expect(rsaCredentials.authenticate(`Bearer ${otherIssuer}`)).resolves.toBeNull();
    const otherAudience = await signed((jwt) => jwt.setAudience('another-service'));
    await expect(rsaCredentials.authenticate(`Bearer ${otherAudience}`)).resolves.toBeNull();
  });

  it('pins the algorithms to the key type', () => {
    expect(algorithmsFor(rsa.publicKey)).toEqual([
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
    ]);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(algorithmsFor(ec.publicKey)).toEqual(['ES384']);
    const x25519 = generateKeyPairSync('x25519');
    expect(algorithmsFor(x25519.publicKey)).toEqual([]);
    expect(
      () =>
        new ApiCredentials({
          tokens: [],
          jwt: {
            publicKey: x25519.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
            maxAgeSeconds: 60,
          },
        }),
    ).toThrow(ConfigError);
  });

  it("measures a token's life from iat, or from now without one", () => {
    expect(outlivesMaxAge({ iat: 1_000, exp: 4_600 }, 3_600)).toBe(false);
    expect(outlivesMaxAge({ iat: 1_000, exp: 4_601 }, 3_600)).toBe(true);
    expect(outlivesMaxAge({ exp: 2_000 }, 3_600, 1_000)).toBe(false);
    expect(outlivesMaxAge({ exp: 5_000 }, 3_600, 1_000)).toBe(true);
    expect(outlivesMaxAge({}, 3_600)).toBe(true);
  });
});
