/**
 * The audit log: one row per admin action tried through the query API (who, with which role,
 * what, on which object, when, why, from where, and how it ended). `AuditLog` appends a row as
 * `pending` before the action runs and settles its outcome once; nothing edits it afterwards.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

// Each index serves the newest-first listing, keyset-paged by `(at, id)`, unfiltered or by
// actor, action or object.
@Entity({ name: 'audit_log' })
@Index('ix_audit_log_at', ['at', 'id'])
@Index('ix_audit_log_actor', ['actor', 'at', 'id'])
@Index('ix_audit_log_action', ['action', 'at', 'id'])
@Index('ix_audit_log_object', ['objectType', 'objectId', 'at', 'id'])
export class AuditLogEntity {
  /** Generated in application code, time-ordered (UUIDv7). */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'audit_log_pkey' })
  id!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'object_type', type: 'text' })
  objectType!: string;

  /** Null for an action on a set (a filtered requeue) or one refused before its object existed. */
  @Column({ name: 'object_id', type: 'text', nullable: true })
  objectId!: string | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'client_address', type: 'text', nullable: true })
  clientAddress!: string | null;

  /** `pending` until settled; then `ok` or the error code of a refusal. */
  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  details!: Record<string, unknown>;
}
