/**
 * The engines the store's integration tests run on, each provisioned empty: real PostgreSQL (a
 * database of its own on the stack's server) and embedded PGlite (in memory). And the retention
 * the store tests prune with (the configuration's defaults, written out).
 */
import type { RetentionConfig, StoreConfig } from '@bridge/config';
import { freshDatabase } from '../../../test/stack-config';

export interface ProvisionedStore {
  store: StoreConfig;
  /** The PostgreSQL server's address, for a second connection; none for PGlite. */
  url?: string;
  cleanup: () => Promise<void>;
}

export const STORE_ENGINES: Array<[string, () => Promise<ProvisionedStore>]> = [
  [
    'PostgreSQL',
    async () => {
      const db = await freshDatabase();
      return { store: { kind: 'postgres', url: db.url }, url: db.url, cleanup: db.drop };
    },
  ],
  [
    'PGlite',
    () => Promise.resolve({ store: { kind: 'pglite' }, cleanup: () => Promise.resolve() }),
  ],
];

export const TEST_RETENTION: RetentionConfig = {
  processedEventsDays: 14,
  recordsDays: 7,
  closedFindingsDays: 90,
  requeuedDeadLettersDays: 30,
  pendingDeadLettersDays: 90,
  repairJobsDays: 90,
  scansDays: 30,
  auditDays: 400,
};
