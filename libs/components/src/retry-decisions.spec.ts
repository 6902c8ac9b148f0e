import {
  classifyStatus,
  callFailureOf,
  honoursRetryAfter,
  isTransientStatus,
  retryAfterMs,
  retryDelayMs,
  shouldRetry,
} from './retry-decisions';

describe('isTransientStatus', () => {
  it.each([429, 500, 502, 503, 504, 599])('treats %i as transient', (status) => {
    expect(isTransientStatus(status)).toBe(true);
  });

  it.each([200, 201, 400, 401, 404, 409, 413, 600])('treats %i as not transient', (status) => {
    expect(isTransientStatus(status)).toBe(false);
  });
});

describe('classifyStatus', () => {
  it('reads any 2xx as an answer', () => {
    expect(classifyStatus(200, true)).toBe('ok');
    expect(classifyStatus(202, false)).toBe('ok');
  });

  it('reads 404 as absence only where a single resource was asked for', () => {
    expect(classifyStatus(404, true)).toBe('not_found');
    expect(classifyStatus(404, false)).toBe('refused');
  });

  it('separates transient answers from refusals', () => {
    expect(classifyStatus(503, true)).toBe('transient');
    expect(classifyStatus(429, false)).toBe('transient');
    expect(classifyStatus(400, true)).toBe('refused');
    expect(classifyStatus(413, false)).toBe('refused');
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5_000);
  });

  it('never returns a negative wait for a date in the past', () => {
    expect(retryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('uses the first of repeated headers', () => {
    expect(retryAfterMs(['2', '9'], now)).toBe(2_000);
  });

  it.each([undefined, '', 'soon', '1.5', '-1'])('ignores an unreadable value %p', (value) => {
    expect(retryAfterMs(value, now)).toBeNull();
  });
});

describe('honoursRetryAfter', () => {
  it('applies to 429 and 503 only', () => {
    expect([429, 503, 500, 502].map(honoursRetryAfter)).toEqual([true, true, false, false]);
  });
});

describe('callFailureOf', () => {
  it('reports our own deadline as a timeout whatever the error code', () => {
    expect(callFailureOf('UND_ERR_ABORTED', true)).toBe('timeout');
    expect(callFailureOf('UND_ERR_HEADERS_TIMEOUT', false)).toBe('timeout');
  });

  it('knows which socket errors mean the request never left', () => {
    expect(callFailureOf('ECONNREFUSED', false)).toBe('unreached');
    expect(callFailureOf('UND_ERR_CONNECT_TIMEOUT', false)).toBe('unreached');
  });

  it('treats a broken connection as possibly delivered', () => {
    expect(callFailureOf('ECONNRESET', false)).toBe('connection');
    expect(callFailureOf(undefined, false)).toBe('connection');
  });
});

describe('shouldRetry', () => {
  const cap = 1_000;

  it('retries every transient failure of a repeatable call', () => {
    for (const kind of ['timeout', 'unreached', 'connection', 'credentials'] as const) {
      expect(shouldRetry({ kind, retryAfterMs: null }, 'transient', cap)).toBe(true);
    }
    expect(shouldRetry({ kind: 'status', status: 500, retryAfterMs: null }, 'transient', cap)).toBe(
      true,
    );
  });

  it('retries a non-repeatable call only when the component cannot have processed it', () => {
    expect(shouldRetry({ kind: 'unreached', retryAfterMs: null }, 'unprocessed', cap)).toBe(true);
    // No token to send it with: the request never left.
    expect(shouldRetry({ kind: 'credentials', retryAfterMs: null }, 'unprocessed', cap)).toBe(true);
    expect(
      shouldRetry({ kind: 'status', status: 429, retryAfterMs: null }, 'unprocessed', cap),
    ).toBe(true);
    expect(
      shouldRetry({ kind: 'status', status: 503, retryAfterMs: null }, 'unprocessed', cap),
    ).toBe(true);
    expect(
      shouldRetry({ kind: 'status', status: 500, retryAfterMs: null }, 'unprocessed', cap),
    ).toBe(false);
    expect(
      shouldRetry({ kind: 'status', status: 504, retryAfterMs: null }, 'unprocessed', cap),
    ).toBe(false);
    expect(shouldRetry({ kind: 'timeout', retryAfterMs: null }, 'unprocessed', cap)).toBe(false);
    expect(shouldRetry({ kind: 'connection', retryAfterMs: null }, 'unprocessed', cap)).toBe(false);
  });

  it('gives up rather than retrying early when Retry-After exceeds the cap', () => {
    expect(shouldRetry({ kind: 'status', status: 429, retryAfterMs: cap }, 'transient', cap)).toBe(
      true,
    );
    expect(
      shouldRetry({ kind: 'status', status: 429, retryAfterMs: cap + 1 }, 'transient', cap),
    ).toBe(false);
  });
});

describe('retryDelayMs', () => {
  it('waits at least what the component asked for', () => {
    expect(retryDelayMs(50, 400)).toBe(400);
    expect(retryDelayMs(500, 400)).toBe(500);
    expect(retryDelayMs(50, null)).toBe(50);
  });
});
