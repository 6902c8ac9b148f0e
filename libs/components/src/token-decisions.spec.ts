import { UnsecuredJWT } from 'jose';
import {
  DEFAULT_TOKEN_LIFETIME_MS,
  heldToken,
  readTokenAnswer,
  tokenFreshness,
  tokenLifetimeMs,
  withoutSecrets,
} from './token-decisions';

const NOW = 1_700_000_000_000;
const json = (body: unknown) => JSON.stringify(body);

describe('readTokenAnswer', () => {
  it('reads a bearer token and its lifetime from a 200', () => {
    expect(
      readTokenAnswer(
        200,
        json({ access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 }),
        NOW,
      ),
    ).toEqual({ kind: 'token', accessToken: 'tok-1', lifetimeMs: 3_600_000 });
    // Token types are case-insensitive; some servers send expires_in as a string.
    expect(
      readTokenAnswer(
        200,
        json({ access_token: 'tok-2', token_type: 'bearer', expires_in: '90' }),
        NOW,
      ),
    ).toEqual({ kind: 'token', accessToken: 'tok-2', lifetimeMs: 90_000 });
    expect(
      readTokenAnswer(200, json({ access_token: 'tok-3', expires_in: 1.5 }), NOW),
    ).toMatchObject({ lifetimeMs: 1_500 });
  });

  it('treats a 200 without a usable token as transient, without quoting the body', () => {
    const notJson = readTokenAnswer(200, 'access_token=leaked-9d1&expires_in=60', NOW);
    expect(notJson).toEqual({ kind: 'transient', reason: 'the token response is not JSON' });
    const noToken = readTokenAnswer(200, json({ token_type: 'Bearer', expires_in: 60 }), NOW);
    expect(noToken).toEqual({
      kind: 'transient',
      reason: 'the token response has no usable access_token',
    });
    const spaced = readTokenAnswer(200, json({ access_token: 'two parts-7c2' }), NOW);
    expect(spaced.kind).toBe('transient');
    expect(JSON.stringify(spaced)).not.toContain('parts-7c2');
    expect(readTokenAnswer(200, json({ access_token: 'x', expires_in: -5 }), NOW)).toMatchObject({
      kind: 'transient',
      reason: 'the token response has no usable expires_in',
    });
  });

  it('refuses a token of a type Bridge cannot send as a bearer token', () => {
    expect(readTokenAnswer(200, json({ access_token: 'x', token_type: 'DPoP' }), NOW)).toEqual({
      kind: 'refused',
      reason: 'token type DPoP is not Bearer',
    });
  });

  it('treats 5xx and 429 as transient and every other status as a refusal', () => {
    expect(readTokenAnswer(503, '<html>down</html>', NOW)).toEqual({
      kind: 'transient',
      reason: 'HTTP 503',
    });
    expect(readTokenAnswer(429, '', NOW).kind).toBe('transient');
    expect(readTokenAnswer(500, json({ error: 'server_error' }), NOW)).toEqual({
      kind: 'transient',
      reason: 'HTTP 500 server_error',
    });
    expect(
      readTokenAnswer(
        401,
        json({ error: 'invalid_client', error_description: 'client authentication failed' }),
        NOW,
      ),
    ).toEqual({ kind: 'refused', reason: 'HTTP 401 invalid_client: client authentication failed' });
    expect(readTokenAnswer(400, json({ error: 'invalid_scope' }), NOW)).toEqual({
      kind: 'refused',
      reason: 'HTTP 400 invalid_scope',
    });
    expect(readTokenAnswer(403, 'Forbidden', NOW)).toEqual({ kind: 'refused', reason: 'HTTP 403' });
  });

  it('blanks secrets out of what the endpoint says before cutting it short', () => {
    const secret = 'client-secret-4b7e1d';
    // The secret straddles the cut: shortening first would let its first half through.
    const description = `${'x'.repeat(190)}${secret} and again ${secret}`;
    const answer = readTokenAnswer(
      400,
      json({ error: 'invalid_request', error_description: description }),
      NOW,
      ['unrelated', secret],
    );
    expect(answer.kind).toBe('refused');
    const { reason } = answer as { reason: string };
    expect(reason).toContain(`${'x'.repeat(190)}[secret]`);
    expect(reason).not.toContain('client-secret');
    expect(withoutSecrets('a-b-a', ['a', ''])).toBe('[secret]-b-[secret]');
  });

  it('cuts a long error description short', () => {
    const answer = readTokenAnswer(
      400,
      json({ error: 'invalid_request', error_description: 'x'.repeat(5_000) }),
      NOW,
    );
    expect(answer.kind).toBe('refused');
    expect((answer as { reason: string }).reason.length).toBeLessThan(250);
  });
});

describe('tokenLifetimeMs', () => {
  it('takes expires_in first', () => {
    const jwt = new UnsecuredJWT({}).setExpirationTime(NOW / 1000 + 60).encode();
    expect(tokenLifetimeMs(600, jwt, NOW)).toBe(600_000);
  });

  it("falls back to a JWT's exp, then to the default lifetime", () => {
    const jwt = new UnsecuredJWT({}).setExpirationTime(NOW / 1000 + 120).encode();
    expect(tokenLifetimeMs(undefined, jwt, NOW)).toBe(120_000);
    const expired = new UnsecuredJWT({}).setExpirationTime(NOW / 1000 - 1).encode();
    expect(tokenLifetimeMs(undefined, expired, NOW)).toBe(DEFAULT_TOKEN_LIFETIME_MS);
    expect(tokenLifetimeMs(undefined, 'opaque-token', NOW)).toBe(DEFAULT_TOKEN_LIFETIME_MS);
  });
});

describe('heldToken and tokenFreshness', () => {
  it('renews at 80% of the lifetime, counted from the request', () => {
    const token = heldToken('t', NOW, 3_600_000);
    expect(token).toEqual({ value: 't', renewAt: NOW + 2_880_000, expiresAt: NOW + 3_600_000 });
    expect(tokenFreshness(token, NOW + 2_879_999)).toBe('fresh');
    expect(tokenFreshness(token, NOW + 2_880_000)).toBe('renewal_due');
    expect(tokenFreshness(token, NOW + 3_599_999)).toBe('renewal_due');
    expect(tokenFreshness(token, NOW + 3_600_000)).toBe('expired');
    expect(tokenFreshness(undefined, NOW)).toBe('missing');
  });

  it('uses a short-lived token for at least a second, and never past its expiry', () => {
    expect(heldToken('t', NOW, 1_200)).toMatchObject({
      renewAt: NOW + 1_000,
      expiresAt: NOW + 1_200,
    });
    expect(heldToken('t', NOW, 500)).toMatchObject({ renewAt: NOW + 500, expiresAt: NOW + 500 });
    expect(tokenFreshness(heldToken('t', NOW, 500), NOW + 500)).toBe('expired');
  });
});
