/**
 * Short-lived exclusive claims on checks, so that one run is never checked by two workers at
 * once: Kafka keys keep a run on one partition, but a rebalance, a redelivery and a delayed
 * re-check can still overlap. A lease expires on its own, so a checker that dies mid-batch only
 * delays its checks by the lease time; it never blocks them.
 */
import type { DataSource } from 'typeorm';
import { CheckLeaseEntity } from './entities/check-lease.entity';

export class CheckLeases {
  constructor(private readonly dataSource: DataSource) {}

  /** Takes the leases that are free, expired or already ours; returns the keys now held. */
  async acquire(keys: string[], holder: string, leaseMs: number): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // Raw SQL: ON CONFLICT DO UPDATE … WHERE over unnest, three parameters whatever the batch size
    const rows = await this.dataSource.query<Array<{ check_key: string }>>(
      `INSERT INTO check_leases (check_key, holder, expires_at)
       SELECT key, $2, now() + ($3::int * interval '1 millisecond') FROM unnest($1::text[]) AS key
       ON CONFLICT (check_key) DO UPDATE
         SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE check_leases.expires_at < now() OR check_leases.holder = EXCLUDED.holder
       RETURNING check_key`,
      [keys, holder, leaseMs],
    );
    return new Set(rows.map((row) => row.check_key));
  }

  async release(keys: string[], holder: string): Promise<void> {
    if (keys.length === 0) return;
    await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(CheckLeaseEntity)
      // One array parameter, where `IN` would take one per key.
      .where('checkKey = ANY(:keys)', { keys })
      .andWhere('holder = :holder', { holder })
      .execute();
  }
}
