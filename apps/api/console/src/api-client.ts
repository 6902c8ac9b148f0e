/**
 * The console's only way to the server: the query API under `/api/v1/bridge/sync`, with the
 * bearer token the operator logged in with. An answer other than 2xx becomes an `ApiError`
 * carrying the API's own message (which names the bad field, the missing role…).
 */

const BASE = '/api/v1/bridge/sync';

export type Role = 'reader' | 'admin';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Finding {
  id: string;
  event_type: string;
  mismatch_type: string | null;
  repair_strategy: string | null;
  source: string;
  source_id: string;
  actor: string | null;
  details: unknown;
  resolved: boolean;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
  created_at: string;
  published: boolean | null;
}

export interface RepairJob {
  id: string;
  sync_event_id: string;
  mismatch_type: string;
  strategy: string;
  state: string;
  plan: unknown;
  attempts: number;
  last_error: string | null;
  submitted_run_id: string | null;
  decided_by: string | null;
  decision_reason: string | null;
  finding_created_at: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface HistoryStep {
  at: string;
  step: string;
  by: string | null;
  note: string | null;
}

export interface Scan {
  id: string;
  trigger: string;
  mode: string;
  status: string;
  phase: string;
  requested_by: string | null;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  counts: Record<string, number>;
  items: Record<string, number>;
  progress: { items_read: number; fraction: number | null; estimated_completion_at: string | null };
  last_error: string | null;
}

export interface DeadLetter {
  id: string;
  occurred_at: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  consumer_group: string;
  reason: string;
  failure_kind: string;
  attempts: number;
  requeue_count: number;
  requeued_at: string | null;
  requeued_by: string | null;
  payload_decoded?: unknown;
  decode_error?: string | null;
}

export interface Work {
  per_second: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface Operations {
  generated_at: string;
  services: Array<{
    instance: string;
    service: string;
    status: string;
    reported_at: string;
    events_per_second: number;
    dead_letters_per_second: number;
  }>;
  checks: Work;
  repairs: Work;
  components: Array<{
    component: string;
    state: string;
    requests_per_second: number;
    errors_per_second: number;
  }>;
  consumer_lag: Array<{ group: string; topic: string; lag: number }>;
  outbox_backlog: { findings: number; repairs: number };
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export class ConsoleApi {
  constructor(private readonly token: string) {}

  whoami(): Promise<{ name: string; role: Role }> {
    return this.get('/whoami');
  }

  findings(params: Record<string, string>): Promise<Page<Finding>> {
    return this.get(`/events${query(params)}`);
  }

  history(id: string): Promise<{ event: Finding; repair: RepairJob | null; steps: HistoryStep[] }> {
    return this.get(`/events/${encodeURIComponent(id)}/history`);
  }

  resolve(id: string, reason: string): Promise<Finding> {
    return this.post(`/events/${encodeURIComponent(id)}/resolve`, { reason });
  }

  repairs(states: string): Promise<Page<RepairJob>> {
    return this.get(`/repairs${query({ state: states, limit: '200' })}`);
  }

  decide(id: string, decision: 'approve' | 'reject', reason: string): Promise<RepairJob> {
    return this.post(`/repairs/${encodeURIComponent(id)}/${decision}`, reason ? { reason } : {});
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

  findingsPerHour(): Promise<{
    items: Array<{ hour: string; event_type: string; mismatch_type: string | null; count: number }>;
  }> {
    return this.get('/summary/findings-per-hour');
  }

  openMismatches(): Promise<{
    items: Array<{ mismatch_type: string; source: string; open: number }>;
  }> {
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
