/**
 * The operator console's side of the query API, held against this side at compile time. The
 * console declares what it reads (`apps/api/console/src/wire-types.ts`, no server imports, so
 * the browser build stays apart); here each of those types must accept what the controller
 * method the console calls returns. A field the server renames, drops or retypes makes an entry
 * below `false`, and `npm run typecheck` fails naming the answer, before the console shows a
 * blank where the field was.
 *
 * Nothing imports it and its one value is a row of `true`s: the type check reads it because it
 * is under `apps/`, and a failing entry is reported on its own line.
 */
import type {
  AuditController,
  DeadLettersController,
  EventsController,
  FindingActionsController,
  RepairsController,
  ScansController,
  SummaryController,
  WhoAmIController,
} from '@bridge/query-api';
import type {
  AuditEntry,
  BulkOutcome,
  DeadLetter,
  Finding,
  FindingHistory,
  FindingsPerHour,
  OpenMismatches,
  Operations,
  Page,
  RepairJob,
  Scan,
  WhoAmI,
} from '../../console/src/wire-types';

/** What a controller method answers, as JSON carries it (the method's awaited result). */
type Answer<Method extends (...args: never[]) => unknown> = Awaited<ReturnType<Method>>;

/** `true` when every answer of type `Served` is a valid `Read`; tuples keep unions whole. */
type Accepts<Read, Served> = [Served] extends [Read] ? true : false;

/** One entry per console call: each must be `true` for the type check to pass. */
export const CONSOLE_READS_WHAT_THE_API_SERVES: {
  whoami: Accepts<WhoAmI, Answer<WhoAmIController['whoami']>>;
  findings: Accepts<Page<Finding>, Answer<EventsController['list']>>;
  history: Accepts<FindingHistory, Answer<EventsController['history']>>;
  resolve: Accepts<Finding, Answer<EventsController['resolve']>>;
  recheck: Accepts<Finding, Answer<FindingActionsController['recheck']>>;
  startRepair: Accepts<RepairJob, Answer<FindingActionsController['startRepair']>>;
  snooze: Accepts<Finding, Answer<FindingActionsController['snooze']>>;
  wake: Accepts<Finding, Answer<FindingActionsController['wake']>>;
  bulkFindings: Accepts<BulkOutcome, Answer<FindingActionsController['bulk']>>;
  retry: Accepts<RepairJob, Answer<RepairsController['retry']>>;
  setPriority: Accepts<RepairJob, Answer<RepairsController['setPriority']>>;
  bulkRepairs: Accepts<BulkOutcome, Answer<RepairsController['bulk']>>;
  repairs: Accepts<Page<RepairJob>, Answer<RepairsController['list']>>;
  approve: Accepts<RepairJob, Answer<RepairsController['approve']>>;
  reject: Accepts<RepairJob, Answer<RepairsController['reject']>>;
  scans: Accepts<Page<Scan>, Answer<ScansController['list']>>;
  requestScan: Accepts<{ scan_id: string }, Answer<ScansController['request']>>;
  deadLetters: Accepts<Page<DeadLetter>, Answer<DeadLettersController['list']>>;
  deadLetter: Accepts<DeadLetter, Answer<DeadLettersController['show']>>;
  requeueMatching: Accepts<{ requeued: number }, Answer<DeadLettersController['requeueSet']>>;
  findingsPerHour: Accepts<FindingsPerHour, Answer<SummaryController['perHour']>>;
  openMismatches: Accepts<OpenMismatches, Answer<SummaryController['openMismatches']>>;
  operations: Accepts<Operations, Answer<SummaryController['operations']>>;
  audit: Accepts<Page<AuditEntry>, Answer<AuditController['list']>>;
} = {
  whoami: true,
  findings: true,
  history: true,
  resolve: true,
  recheck: true,
  startRepair: true,
  snooze: true,
  wake: true,
  bulkFindings: true,
  retry: true,
  setPriority: true,
  bulkRepairs: true,
  repairs: true,
  approve: true,
  reject: true,
  scans: true,
  requestScan: true,
  deadLetters: true,
  deadLetter: true,
  requeueMatching: true,
  findingsPerHour: true,
  openMismatches: true,
  operations: true,
  audit: true,
};
