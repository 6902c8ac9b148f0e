import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { ApiCredentials, bearerOf, roleAllows, roleOfClaims, tokenDigest } from './api-credentials';

const SECRET = 'a-test-secret-of-at-least-thirty-two-characters';

function credentials(jwt = true) {
  return new ApiCredentials({
    tokens: [
      { role: 'reader', name: 'grafana', sha256Hex: tokenDigest('reader-token') },
      { role: 'admin', name: 'alice', sha256Hex: tokenDigest('admin-token') },
    ],
    jwt: jwt ? { secret: SECRET, issuer: 'bridge-tests' } : null,
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

  it('takes the strongest role a JWT claims', () => {
    expect(roleOfClaims({ role: 'reader' })).toBe('reader');
    expect(roleOfClaims({ roles: ['reader', 'admin'] })).toBe('admin');
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
