/**
 * Short-lived exclusive claims on checks (`CheckLeases`), so that one run is never checked by two
 * workers at once. A lease is taken when it is free, expired or already its holder's, and
 * released by its holder; one left behind by a dead checker simply expires.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'check_leases' })
export class CheckLeaseEntity {
  /** The check, as `<check type>:<source id>` (e.g. `post_run:<run id>`). */
  @PrimaryColumn({ name: 'check_key', type: 'text', primaryKeyConstraintName: 'check_leases_pkey' })
  checkKey!: string;

  @Column({ type: 'text' })
  holder!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
