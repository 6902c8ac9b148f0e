/** An audit log entry as the query API shows it: the store's entry with snake_case fields. */
import type { AuditEntry } from '@bridge/store';

export interface AuditEntryView {
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

export function auditEntryView(entry: AuditEntry): AuditEntryView {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    role: entry.role,
    action: entry.action,
    object_type: entry.objectType,
    object_id: entry.objectId,
    reason: entry.reason,
    client_address: entry.clientAddress,
    outcome: entry.outcome,
    details: entry.details,
  };
}
