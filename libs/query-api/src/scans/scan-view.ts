/** A scan record as the query API shows it, with its progress and estimated end while it runs. */
import { progressOf } from '@bridge/scan';
import type { Scan } from '@bridge/store';

export interface ScanView {
  id: string;
  trigger: string;
  mode: string;
  /** `listing` or `digest`; null while a scan requested without one waits for a scanner. */
  method: string | null;
  status: string;
  phase: string;
  requested_by: string | null;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  counts: Scan['counts'];
  pages: Scan['pages'];
  items: Scan['items'];
  requests: Scan['requests'];
  progress: {
    items_read: number;
    /**
     * Share done (0 to 1): of the slot space for a digest scan, else from what the previous
     * comparable scan read; null without one.
     */
    fraction: number | null;
    estimated_completion_at: string | null;
  };
  errors: Scan['errors'];
  last_error: string | null;
}

export function scanView(scan: Scan, now: number): ScanView {
  const progress = progressOf(scan, now);
  return {
    id: scan.id,
    trigger: scan.trigger,
    mode: scan.mode,
    method: scan.method,
    status: scan.status,
    phase: scan.phase,
    requested_by: scan.requestedBy,
    requested_at: scan.requestedAt.toISOString(),
    started_at: scan.startedAt?.toISOString() ?? null,
    finished_at: scan.finishedAt?.toISOString() ?? null,
    counts: scan.counts,
    pages: scan.pages,
    items: scan.items,
    requests: scan.requests,
    progress: {
      items_read: progress.itemsRead,
      fraction: progress.fraction,
      estimated_completion_at: progress.estimatedCompletionAt?.toISOString() ?? null,
    },
    errors: scan.errors,
    last_error: scan.lastError,
  };
}
