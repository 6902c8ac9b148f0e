/**
 * Which sync events each scan recorded (`ScanStore`, with each page's findings), so that a scan
 * lists its findings. Retention deletes a scan's links before the scan.
 */
import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ScanEntity } from './scan.entity';

@Entity({ name: 'scan_findings' })
export class ScanFindingEntity {
  @PrimaryColumn({ name: 'scan_id', type: 'uuid', primaryKeyConstraintName: 'scan_findings_pkey' })
  scanId!: string;

  /** Mapped for the foreign key only: code reads `scanId`. */
  @ManyToOne(() => ScanEntity)
  @JoinColumn({ name: 'scan_id', foreignKeyConstraintName: 'scan_findings_scan_id_fkey' })
  scan!: ScanEntity;

  /**
   * The finding. No foreign key: the partitioned `sync_events` is keyed by
   * `(id, tier, created_day)`, so its `id` alone cannot be referenced.
   */
  @PrimaryColumn({
    name: 'sync_event_id',
    type: 'uuid',
    primaryKeyConstraintName: 'scan_findings_pkey',
  })
  syncEventId!: string;
}
