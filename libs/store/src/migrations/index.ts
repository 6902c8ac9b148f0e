/** Every migration, in order. Add new ones at the end; never edit one that has shipped. */
import { SyncEventLog1763900000000 } from './1763900000000-sync-event-log';

export const MIGRATIONS = [SyncEventLog1763900000000];
