/**
 * The console's only way to the server: the query API under `/api/v1/bridge/sync`, with the
 * bearer token the operator logged in with. An answer other than 2xx becomes an `ApiError`
 * carrying the API's own message (which names the bad field, the missing role…).
 */

import type {
  AuditEntry,
  BulkOutcome,
  DeadLetter,
  Finding,
  FindingHistory,
  FindingsPerHour,
  OpenMismatches,
  Operations,
  Page,
  RepairJob,
  Scan,
  WhoAmI,
} from './wire-types';

const BASE = '/api/v1/bridge/sync';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ConsoleApi {
  constructor(private readonly token: string) {}

  whoami(): Promise<WhoAmI> {
    return this.get('/whoami');
  }

  findings(params: Record<string, string>): Promise<Page<Finding>> {
    return this.get(`/events${query(params)}`);
  }

  history(id: string): Promise<FindingHistory> {
    return this.get(`/events/${encodeURIComponent(id)}/history`);
  }

  resolve(id: string, reason: string): Promise<Finding> {
    return this.post(`/events/${encodeURIComponent(id)}/resolve`, { reason });
  }

  /** Asks the checker to look at an open finding again now. */
  recheck(id: string): Promise<Finding> {
    return this.post(`/events/${encodeURIComponent(id)}/recheck`, {});
  }

  startRepair(
    id: string,
    request: { strategy: string; priority?: number; reason?: string },
  ): Promise<RepairJob> {
    return this.post(`/events/${encodeURIComponent(id)}/repair`, withoutBlanks(request));
  }

  /** Snoozes an open finding until `until` (ISO 8601 with its offset). */
  snooze(id: string, until: string, reason: string): Promise<Finding> {
    return this.post(`/events/${encodeURIComponent(id)}/snooze`, withoutBlanks({ until, reason }));
  }

  wake(id: string): Promise<Finding> {
    return this.call('DELETE', `/events/${encodeURIComponent(id)}/snooze`);
  }

  /** Resolves or re-checks the open findings a filter selects, or (`dryRun`) counts them. */
  bulkFindings(request: {
    action: 'resolve' | 'recheck';
    filter: Record<string, string>;
    reason?: string;
    dryRun: boolean;
    max?: number;
  }): Promise<BulkOutcome> {
    const { dryRun, ...rest } = request;
    return this.post('/events/bulk', withoutBlanks({ ...rest, dry_run: dryRun }));
  }

  repairs(states: string): Promise<Page<RepairJob>> {
    return this.get(`/repairs${query({ state: states, limit: '200' })}`);
  }

  decide(id: string, decision: 'approve' | 'reject', reason: string): Promise<RepairJob> {
    return this.post(`/repairs/${encodeURIComponent(id)}/${decision}`, reason ? { reason } : {});
  }

  /** Starts a FAILED, REJECTED or EXPIRED job again; the answer is the new job. */
  retry(id: string): Promise<RepairJob> {
    return this.post(`/repairs/${encodeURIComponent(id)}/retry`, {});
  }

  setPriority(id: string, priority: number): Promise<RepairJob> {
    return this.post(`/repairs/${encodeURIComponent(id)}/priority`, { priority });
  }

  /** Approves or rejects the jobs a filter selects, or (`dryRun`) counts them. */
  bulkDecide(request: {
    action: 'approve' | 'reject';
    filter: { state: 'AWAITING_APPROVAL' | 'EXPIRED' };
    reason?: string;
    dryRun: boolean;
    max?: number;
  }): Promise<BulkOutcome> {
    const { dryRun, ...rest } = request;
    return this.post('/repairs/bulk', withoutBlanks({ ...rest, dry_run: dryRun }));
  }

  scans(): Promise<Page<Scan>> {
    return this.get('/scans?limit=20');
  }

  requestScan(mode: 'incremental' | 'full'): Promise<{ scan_id: string }> {
    return this.post('/scan', { mode });
  }

  deadLetters(params: Record<string, string>): Promise<Page<DeadLetter>> {
    return this.get(`/dead-letters${query(params)}`);
  }

  deadLetter(id: string): Promise<DeadLetter> {
    return this.get(`/dead-letters/${encodeURIComponent(id)}`);
  }

  requeue(id: string): Promise<unknown> {
    return this.post(`/dead-letters/${encodeURIComponent(id)}/requeue`, {});
  }

  requeueMatching(filter: Record<string, string>, limit: number): Promise<{ requeued: number }> {
    const fields = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== ''));
    return this.post('/dead-letters/requeue', { ...fields, limit });
  }

  audit(params: Record<string, string>): Promise<Page<AuditEntry>> {
    return this.get(`/audit${query(params)}`);
  }

  findingsPerHour(): Promise<FindingsPerHour> {
    return this.get('/summary/findings-per-hour');
  }

  openMismatches(): Promise<OpenMismatches> {
    return this.get('/summary/open-mismatches');
  }

  operations(): Promise<Operations> {
    return this.get('/summary/operations');
  }

  private get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${BASE}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, messageOf(parsed, response.status));
    return parsed as T;
  }
}

/**
 * A request body without its empty optional fields: the API refuses an empty reason (a reason
 * is either given or absent) and knows nothing of `undefined`.
 */
function withoutBlanks<T extends object>(body: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(body).filter(([, value]) => value !== undefined && value !== ''),
  ) as Partial<T>;
}

function query(params: Record<string, string>): string {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ''));
  const text = search.toString();
  return text ? `?${text}` : '';
}

function messageOf(body: unknown, status: number): string {
  if (body && typeof body === 'object' && 'message' in body) {
    const { message } = body;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
  }
  return `HTTP ${status}`;
}
