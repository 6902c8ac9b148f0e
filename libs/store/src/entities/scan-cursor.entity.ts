/**
 * Where each listing's last completed scan stopped reading (`ScanCursorStore`, saved when a scan
 * completes), so that the next incremental scan reads only what changed after it.
 */
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { ScannedComponent } from '../scan-store';
import { ScanEntity } from './scan.entity';

@Entity({ name: 'scan_cursors' })
export class ScanCursorEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'scan_cursors_pkey' })
  component!: ScannedComponent;

  /** Where the next incremental scan starts reading; null: at the listing's beginning. */
  @Column({ type: 'text', nullable: true })
  cursor!: string | null;

  @Column({ name: 'scan_id', type: 'uuid' })
  scanId!: string;

  /**
   * The scan that saved the cursor, which retention therefore keeps. Mapped for the foreign
   * key only: code reads `scanId`.
   */
  @ManyToOne(() => ScanEntity)
  @JoinColumn({ name: 'scan_id', foreignKeyConstraintName: 'scan_cursors_scan_id_fkey' })
  scan!: ScanEntity;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
