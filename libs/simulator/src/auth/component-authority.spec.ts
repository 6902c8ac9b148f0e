import { ComponentAuthority } from './component-authority';

const OAUTH2 = {
  kind: 'oauth2',
  clientId: 'bridge',
  clientSecret: 'sim-secret',
  tokenTtlMs: 2_000,
} as const;

const CLIENT = {
  grantType: 'client_credentials',
  clientId: 'bridge',
  clientSecret: 'sim-secret',
};

describe('ComponentAuthority', () => {
  it('lets everything through with SIM_AUTH=none and has no token endpoint', () => {
    const authority = new ComponentAuthority({ kind: 'none' });
    expect(authority.authenticates(undefined)).toBe(true);
    expect(authority.issue(CLIENT)).toMatchObject({ kind: 'refused', status: 404 });
  });

  it('accepts only the configured static token with SIM_AUTH=bearer', () => {
    const authority = new ComponentAuthority({ kind: 'bearer', token: 'static-7' });
    expect(authority.authenticates('Bearer static-7')).toBe(true);
    expect(authority.authenticates('bearer static-7')).toBe(true); // the scheme is case-insensitive
    expect(authority.authenticates('Bearer static-8')).toBe(false);
    expect(authority.authenticates('Basic static-7')).toBe(false);
    expect(authority.authenticates(undefined)).toBe(false);
    expect(authority.status()).toMatchObject({ kind: 'bearer', requestsRejected: 3 });
  });

  it('issues tokens to the configured client only', () => {
    const authority = new ComponentAuthority({ ...OAUTH2, audience: 'https://sim' });
    expect(authority.issue({ ...CLIENT, audience: 'https://sim' })).toMatchObject({
      kind: 'issued',
      expiresInSeconds: 2,
    });
    expect(authority.issue({ ...CLIENT, grantType: 'password' })).toMatchObject({
      status: 400,
      error: 'unsupported_grant_type',
    });
    expect(authority.issue({ ...CLIENT, clientSecret: 'guess' })).toMatchObject({
      status: 401,
      error: 'invalid_client',
    });
    expect(authority.issue({ ...CLIENT, clientId: 'mallory' })).toMatchObject({ status: 401 });
    expect(authority.issue({ ...CLIENT, audience: 'https://other' })).toMatchObject({
      status: 400,
      error: 'invalid_request',
    });
    expect(authority.status()).toMatchObject({ tokensIssued: 1 });
  });

  it('accepts a token it issued until it expires', () => {
    let now = 10_000;
    const authority = new ComponentAuthority(OAUTH2, () => now);
    const issued = authority.issue(CLIENT);
    if (issued.kind !== 'issued') throw new Error(issued.description);
    expect(authority.authenticates(`Bearer ${issued.accessToken}`)).toBe(true);
    expect(authority.authenticates('Bearer sim-made-up')).toBe(false);
    now += 1_999;
    expect(authority.authenticates(`Bearer ${issued.accessToken}`)).toBe(true);
    now += 1;
    expect(authority.authenticates(`Bearer ${issued.accessToken}`)).toBe(false);
    expect(authority.status()).toEqual({
      kind: 'oauth2',
      tokensIssued: 1,
      tokensActive: 0,
      tokensRevoked: 0,
      requestsRejected: 2,
    });
  });

  it('refuses every token issued before a revocation, and accepts new ones', () => {
    const authority = new ComponentAuthority(OAUTH2);
    const first = authority.issue(CLIENT);
    const second = authority.issue(CLIENT);
    if (first.kind !== 'issued' || second.kind !== 'issued') throw new Error('not issued');
    expect(authority.revokeAll()).toBe(2);
    expect(authority.authenticates(`Bearer ${first.accessToken}`)).toBe(false);
    expect(authority.authenticates(`Bearer ${second.accessToken}`)).toBe(false);
    const third = authority.issue(CLIENT);
    if (third.kind !== 'issued') throw new Error('not issued');
    expect(authority.authenticates(`Bearer ${third.accessToken}`)).toBe(true);
    expect(authority.status()).toMatchObject({
      tokensIssued: 3,
      tokensActive: 1,
      tokensRevoked: 2,
    });
  });
});
