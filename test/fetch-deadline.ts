/**
 * Set up before every integration and fault test file (jest.integration.config.js): a test's
 * `fetch` that brings no signal of its own gives up after `FETCH_DEADLINE_MS`. A service that
 * accepts the connection and never answers (stopped mid-request, a half-open socket under a
 * fault) then fails the probe, which `eventually` tries again, instead of hanging the test until
 * Jest's own timeout with no word of what it waited for.
 */
export const FETCH_DEADLINE_MS = 60_000;

/** `fetch` with `deadlineMs` as the signal of any call that has none. */
export function fetchWithDeadline(fetch: typeof globalThis.fetch, deadlineMs: number) {
  return (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> =>
    fetch(input, init?.signal ? init : { ...init, signal: AbortSignal.timeout(deadlineMs) });
}

globalThis.fetch = fetchWithDeadline(globalThis.fetch, FETCH_DEADLINE_MS);
