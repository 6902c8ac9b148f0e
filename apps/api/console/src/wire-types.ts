/**
 * What the console reads from the query API, one type per answer it uses: the fields the pages
 * show, not every field the server sends. No imports, so the browser's type check needs nothing
 * of the server; the server's type check holds these against what its controllers return
 * (`apps/api/src/console/console-wire-contract.ts`), so a renamed or retyped field fails
 * `npm run typecheck` instead of showing blank in the console.
 */

// `producer` never gets a session (it may not read), but it is a role the API names.
export type Role = 'reader' | 'admin' | 'producer';

export interface Finding {
  id: string;
  event_type: string;
  mismatch_type: string | null;
  repair_strategy: string | null;
  source: string;
  source_id: string;
  actor: string | null;
  details: unknown;
  /** `record` (an ok check, a clean cache, a component's event), or a finding's state. */
  state: 'record' | 'open' | 'resolved' | 'healed';
  resolved: boolean;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
  created_at: string;
  /** How often Bridge looked at the open finding again, when last, and when it looks next. */
  recheck_count: number;
  last_checked_at: string | null;
  next_recheck_at: string | null;
  /** Set while an operator snoozed the open finding (out of the default list until then). */
  snoozed_until: string | null;
  snoozed_by: string | null;
  snooze_reason: string | null;
  published: boolean | null;
}

export interface RepairJob {
  id: string;
  sync_event_id: string;
  mismatch_type: string;
  strategy: string;
  state: string;
  /** Higher runs first; an operator may change it while the job is active. */
  priority: number;
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
  /** The job this one retries, and who started it (null: the finding's own strategy). */
  retry_of: string | null;
  requested_by: string | null;
  /** While awaiting approval: when it becomes EXPIRED. */
  expires_at: string | null;
}

export interface HistoryStep {
  at: string;
  step: string;
  by: string | null;
  note: string | null;
  /** The repair job the step belongs to, if any. */
  job_id?: string;
}

/** The answer of a bulk action on findings or repair jobs (also of its dry run). */
export interface BulkOutcome {
  action: string;
  dry_run: boolean;
  /** How many the filter selects. */
  matched: number;
  /** How many the action touches (would touch, in a dry run): `matched` up to its maximum. */
  selected: number;
  /** How many it acted on: 0 in a dry run. */
  acted: number;
  ids: string[];
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

/** One admin action as the audit log keeps it. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  role: string;
  action: string;
  object_type: string;
  object_id: string | null;
  reason: string | null;
  client_address: string | null;
  outcome: string;
  details: Record<string, unknown>;
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

export interface FindingHistory {
  event: Finding;
  /** The latest repair job (the active one, if any). */
  repair: RepairJob | null;
  /** Every repair job of the finding, first one first. */
  repairs: RepairJob[];
  steps: HistoryStep[];
}

export interface FindingsPerHour {
  items: Array<{ hour: string; event_type: string; mismatch_type: string | null; count: number }>;
}

export interface OpenMismatches {
  items: Array<{ mismatch_type: string; source: string; open: number }>;
}

export interface WhoAmI {
  name: string;
  role: Role;
}
