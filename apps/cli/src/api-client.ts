/**
 * The CLI's one way to the query API: a request with the bearer token, its JSON answer, and
 * every failure turned into a `CliError` with the exit code scripts can rely on (see
 * `EXIT_CODES`). The CLI holds no logic of its own beyond this: requeueing, resolving,
 * approving, re-checking, snoozing and starting repairs are the API's, so the API and the CLI
 * always do the same thing.
 */

/** Exit codes: what a script can tell apart without reading the message. */
export const EXIT_CODES = {
  ok: 0,
  /** The API refused the request (400, 404, 409…). */
  refused: 1,
  /** Bad usage of the CLI itself (unknown command, missing argument). */
  usage: 2,
  /** The API could not be reached, or answered 5xx. */
  unavailable: 3,
  /** No token, or the token is not accepted (401) or not allowed (403). */
  auth: 4,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ApiTarget {
  url: string;
  token: string | undefined;
}

/** The exit code of an HTTP status the API answered with. */
export function exitCodeOf(status: number): number {
  if (status === 401 || status === 403) return EXIT_CODES.auth;
  if (status >= 500) return EXIT_CODES.unavailable;
  return EXIT_CODES.refused;
}

export class ApiClient {
  constructor(private readonly target: ApiTarget) {}

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.call<T>('GET', `${path}${search}`);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** A DELETE, which sends no body (e.g. waking a snoozed finding). */
  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** `GET /health`, which needs no token. */
  health<T>(): Promise<T> {
    return this.call<T>('GET', '/health', undefined, { anonymous: true });
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { anonymous?: boolean } = {},
  ): Promise<T> {
    if (!options.anonymous && !this.target.token) {
      throw new CliError(
        'no API token: set BRIDGE_API_TOKEN or pass --token (npm start prints one)',
        EXIT_CODES.auth,
      );
    }
    const url = `${this.target.url.replace(/\/+$/, '')}${path.startsWith('/health') ? '' : '/api/v1/bridge/sync'}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.anonymous ? {} : { authorization: `Bearer ${this.target.token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new CliError(
        `cannot reach the API at ${this.target.url}: ${(error as Error).message}`,
        EXIT_CODES.unavailable,
      );
    }
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) {
      const message =
        json && typeof json === 'object' && 'message' in json
          ? String(json.message)
          : text.slice(0, 200) || response.statusText;
      throw new CliError(
        `HTTP ${response.status}: ${message}`,
        exitCodeOf(response.status),
        response.status,
      );
    }
    return json as T;
  }
}

/** The parsed body, or null when it is empty or not JSON. */
function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
