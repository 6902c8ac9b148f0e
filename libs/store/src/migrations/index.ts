/** Every migration, in order. Add new ones at the end; never edit one that has shipped. */
import { SyncEventLog1763900000000 } from './1763900000000-sync-event-log';
import { CheckOutcomes1764000000000 } from './1764000000000-check-outcomes';
import { InProcessBacklog1764100000000 } from './1764100000000-in-process-backlog';
import { RepairJobs1764200000000 } from './1764200000000-repair-jobs';
import { Scans1764300000000 } from './1764300000000-scans';
import { OperatorResolution1764400000000 } from './1764400000000-operator-resolution';
import { DeadLetters1764500000000 } from './1764500000000-dead-letters';
import { ServiceStatus1764600000000 } from './1764600000000-service-status';
import { AuditLog1764700000000 } from './1764700000000-audit-log';
import { FindingStates1764800000000 } from './1764800000000-finding-states';
import { FindingRechecks1764900000000 } from './1764900000000-finding-rechecks';
import { RepairRetries1765000000000 } from './1765000000000-repair-retries';
import { FindingSnoozes1765100000000 } from './1765100000000-finding-snoozes';
import { StoreRetention1765200000000 } from './1765200000000-store-retention';
import { TimePartitions1765300000000 } from './1765300000000-time-partitions';
import { LeaseHolderNames1765400000000 } from './1765400000000-lease-holder-names';
import { DigestScans1765500000000 } from './1765500000000-digest-scans';
import { CanonScans1765600000000 } from './1765600000000-canon-scans';
import { OutputTallies1765700000000 } from './1765700000000-output-tallies';
import { SubmissionSearch1765800000000 } from './1765800000000-submission-search';

export const MIGRATIONS = [
  SyncEventLog1763900000000,
  CheckOutcomes1764000000000,
  InProcessBacklog1764100000000,
  RepairJobs1764200000000,
  Scans1764300000000,
  OperatorResolution1764400000000,
  DeadLetters1764500000000,
  ServiceStatus1764600000000,
  AuditLog1764700000000,
  FindingStates1764800000000,
  FindingRechecks1764900000000,
  RepairRetries1765000000000,
  FindingSnoozes1765100000000,
  StoreRetention1765200000000,
  TimePartitions1765300000000,
  LeaseHolderNames1765400000000,
  DigestScans1765500000000,
  CanonScans1765600000000,
  OutputTallies1765700000000,
  SubmissionSearch1765800000000,
];
