/**
 * `bridge-sync`, the command line of the query API, for operators and scripts (commander):
 * `events list|show|history|resolve|recheck|repair|snooze|wake|bulk`, `scan run|latest|show`,
 * `repairs list|show|approve|reject|retry|priority|bulk`, `dlq list|show|requeue`, `audit`,
 * `health`. Bulk actions preview how many rows they would touch and act only with `--yes`.
 * The API's URL comes from `--url` or `BRIDGE_API_URL`, its token from `BRIDGE_API_TOKEN`, a
 * token file (`--token-file`, `BRIDGE_API_TOKEN_FILE`) or, with a warning, `--token` (see
 * `chooseToken`); output is a table (or `field: value` lines) for people, the API's JSON with
 * `--json`; exit codes are `EXIT_CODES`.
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { ApiClient, CliError, EXIT_CODES } from './api-client';
import { chooseToken } from './cli-token';
import {
  bulkOutcomeLine,
  parseInteger,
  repairsNoun,
  snoozeUntil,
  type BulkOutcome,
} from './operator-input';
import { formatRecord, formatTable } from './table';

type Row = Record<string, unknown>;
type Page = { items: Row[]; next_cursor?: string | null };
/** `GET /events/{id}/history`: the finding, its repair jobs, and its story oldest first. */
type History = {
  event: Row;
  repair: Row | null;
  repairs: Row[];
  steps: Array<{ at: string; step: string; by: string | null; note: string | null }>;
};

/** The strategies an operator may start a repair with (alert_only repairs nothing). */
const OPERATOR_STRATEGIES = ['resubmit_run', 'evict_immediately', 'evict_on_next_sweep'];

/** The filters of open findings `events list` and `events bulk` share. */
interface FindingFilterOptions {
  mismatchType?: string;
  source?: string;
  sourceId?: string;
  scanId?: string;
  since?: string;
  until?: string;
}

/** Adds the filters `events list` and `events bulk` share (beside their event-type option). */
function withFindingFilters(command: Command): Command {
  return command
    .option('--mismatch-type <type>')
    .option('--source <component>')
    .option('--source-id <id>')
    .option('--scan-id <id>', 'only the findings of this scan')
    .option('--since <iso>')
    .option('--until <iso>');
}

/** Those filters as the API's fields. */
function findingFilterOf(options: FindingFilterOptions) {
  return {
    mismatch_type: options.mismatchType,
    source: options.source,
    source_id: options.sourceId,
    scan_id: options.scanId,
    since: options.since,
    until: options.until,
  };
}

/** The options every bulk command shares: how many at most, preview only, and go ahead. */
interface BulkOptions {
  reason?: string;
  max?: number;
  dryRun?: boolean;
  yes?: boolean;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

interface GlobalOptions {
  url?: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

/** Runs the CLI on `argv` (without `node` and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('bridge-sync')
    .description('Query and operate Bridge Sync through its API')
    .option(
      '--url <url>',
      'API base URL (env BRIDGE_API_URL)',
      io.env.BRIDGE_API_URL ?? 'http://127.0.0.1:3000',
    )
    .option('--token <token>', 'bearer token (visible to other users: prefer BRIDGE_API_TOKEN)')
    .option('--token-file <path>', 'file holding the bearer token (env BRIDGE_API_TOKEN_FILE)')
    .option('--json', 'print the API answer as JSON')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showHelpAfterError();

  const client = () => {
    const options = program.opts<GlobalOptions>();
    const { token, warnings } = chooseToken(
      { argument: options.token, fileArgument: options.tokenFile, env: io.env },
      (path) => readFileSync(path, 'utf8'),
    );
    for (const warning of warnings) io.err(warning);
    return new ApiClient({ url: options.url ?? 'http://127.0.0.1:3000', token });
  };
  const json = () => program.opts<GlobalOptions>().json === true;
  const print = (value: unknown, human: () => string) =>
    io.out(json() ? JSON.stringify(value, null, 2) : human());
  const printPage = (page: Page, columns: Array<[string, (row: Row) => unknown]>) =>
    print(page, () =>
      [
        formatTable(page.items, columns),
        page.next_cursor ? `next page: --cursor ${page.next_cursor}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  const withBulkOptions = (command: Command) =>
    command
      .option(
        '--reason <text>',
        'why (kept with each resolution or decision, and in the audit log)',
      )
      .option('--max <n>', 'act on at most this many, oldest first (1 to 1000)', parseInteger)
      .option('--dry-run', 'only say how many it would act on')
      .option('--yes', 'act without stopping at the preview');
  /**
   * A bulk call: without `--yes` (or with `--dry-run`) only its preview, so that a filter wider
   * than meant shows its count before anything changes; with `--yes` the action itself.
   */
  const runBulk = async (
    path: string,
    action: string,
    filter: Record<string, string | undefined>,
    options: BulkOptions,
    noun: string,
  ) => {
    const preview = options.dryRun === true || options.yes !== true;
    const outcome = await client().post<BulkOutcome>(path, {
      action,
      filter,
      reason: options.reason,
      max: options.max,
      dry_run: preview,
    });
    print(outcome, () => bulkOutcomeLine(outcome, noun));
    // On stderr, so that --json output stays the API's answer alone.
    if (preview && !options.dryRun && outcome.selected > 0) {
      io.err(`nothing changed yet: run again with --yes to ${action} them`);
    }
  };

  const events = program.command('events').description('the sync event log');
  const eventsList = events
    .command('list')
    .description('events, newest first')
    .addOption(
      new Option(
        '--status <status>',
        'open findings (unresolved, snoozed ones left out), snoozed ones, closed ones, or every row',
      )
        .choices(['unresolved', 'snoozed', 'resolved', 'all'])
        .default('unresolved'),
    )
    .option('--include-snoozed', 'with --status unresolved: the snoozed findings too')
    .option('--type <eventType>', 'event type, e.g. bridge.sync.mismatch');
  withFindingFilters(eventsList)
    .option('--limit <n>')
    .option('--cursor <cursor>')
    .action(
      async (
        options: FindingFilterOptions & {
          status: string;
          includeSnoozed?: boolean;
          type?: string;
          limit?: string;
          cursor?: string;
        },
      ) => {
        if (options.includeSnoozed && options.status !== 'unresolved') {
          throw new CliError('--include-snoozed goes with --status unresolved', EXIT_CODES.usage);
        }
        const page = await client().get<Page>('/events', {
          status: options.status,
          include_snoozed: options.includeSnoozed ? 'true' : undefined,
          event_type: options.type,
          ...findingFilterOf(options),
          limit: options.limit,
          cursor: options.cursor,
        });
        printPage(page, [
          ['id', (r) => r.id],
          ['created_at', (r) => r.created_at],
          ['event_type', (r) => r.event_type],
          ['mismatch_type', (r) => r.mismatch_type],
          ['source', (r) => r.source],
          ['source_id', (r) => r.source_id],
          ['state', (r) => r.state],
          // Only where snoozed findings can be listed: elsewhere the column would be all '-'.
          ...(options.status === 'snoozed' || options.includeSnoozed
            ? [['snoozed_until', (r: Row) => r.snoozed_until] as [string, (row: Row) => unknown]]
            : []),
        ]);
      },
    );
  events.command('show <id>').action(async (id: string) => {
    const event = await client().get<Row>(`/events/${encodeURIComponent(id)}`);
    print(event, () => formatRecord(event));
  });
  events
    .command('history <id>')
    .description("a finding's story: detected, re-checked, repaired, snoozed, closed")
    .action(async (id: string) => {
      const history = await client().get<History>(`/events/${encodeURIComponent(id)}/history`);
      print(history, () =>
        [
          `${String(history.event.id)}: ${String(history.event.mismatch_type ?? history.event.event_type)}, ${String(history.event.state)}, ${history.repairs.length} repair job(s)`,
          formatTable(history.steps, [
            ['at', (s) => s.at],
            ['step', (s) => s.step],
            ['by', (s) => s.by],
            ['note', (s) => s.note],
          ]),
        ].join('\n'),
      );
    });
  events
    .command('resolve <id>')
    .description('resolve a finding by hand (admin); announced on bridge.sync.repaired')
    .option('--reason <text>', 'why it is resolved (recorded and announced)')
    .action(async (id: string, options: { reason?: string }) => {
      const event = await client().post<Row>(
        `/events/${encodeURIComponent(id)}/resolve`,
        options.reason === undefined ? {} : { reason: options.reason },
      );
      print(event, () => `resolved ${String(event.id)} (by ${String(event.resolved_by)})`);
    });
  events
    .command('recheck <id>')
    .description('look at an open finding again now (admin); it heals if the drift is gone')
    .action(async (id: string) => {
      const event = await client().post<Row>(`/events/${encodeURIComponent(id)}/recheck`);
      print(
        event,
        () =>
          `re-check of ${String(event.id)} asked (due ${String(event.next_recheck_at)}; looked at ${String(event.recheck_count)} time(s) so far)`,
      );
    });
  events
    .command('repair <id>')
    .description('start a repair of an open finding with a strategy its type allows (admin)')
    .addOption(
      new Option('--strategy <strategy>', 'how to repair it')
        .choices(OPERATOR_STRATEGIES)
        .makeOptionMandatory(),
    )
    .option('--priority <n>', 'higher runs first (default: from the configuration)', parseInteger)
    .option('--reason <text>', 'why (recorded in the audit log)')
    .action(
      async (id: string, options: { strategy: string; priority?: number; reason?: string }) => {
        const job = await client().post<Row>(`/events/${encodeURIComponent(id)}/repair`, {
          strategy: options.strategy,
          priority: options.priority,
          reason: options.reason,
        });
        print(
          job,
          () =>
            `repair ${String(job.id)} started (${String(job.strategy)}, ${String(job.state)}, priority ${String(job.priority)})`,
        );
      },
    );
  events
    .command('snooze <id>')
    .description('leave an open finding out of the default list until a time (admin)')
    .requiredOption(
      '--until <when>',
      'an ISO 8601 date-time with its offset, or a duration from now such as 30m, 2h, 1d',
      // Worked out when parsed, so that a duration counts from the moment the command ran.
      (value: string) => snoozeUntil(value, new Date()),
    )
    .option('--reason <text>', 'why (shown with the finding)')
    .action(async (id: string, options: { until: string; reason?: string }) => {
      const event = await client().post<Row>(`/events/${encodeURIComponent(id)}/snooze`, {
        until: options.until,
        reason: options.reason,
      });
      print(
        event,
        () =>
          `snoozed ${String(event.id)} until ${String(event.snoozed_until)} (by ${String(event.snoozed_by)})`,
      );
    });
  events
    .command('wake <id>')
    .description('end the snooze of an open finding (admin)')
    .action(async (id: string) => {
      const event = await client().delete<Row>(`/events/${encodeURIComponent(id)}/snooze`);
      print(event, () => `woke ${String(event.id)}: it is listed among the open findings again`);
    });
  const eventsBulk = withBulkOptions(
    events
      .command('bulk')
      .description(
        'resolve or re-check every open finding a filter selects (admin): previews unless --yes',
      )
      .addArgument(
        new Argument('<action>', 'what to do with them').choices(['resolve', 'recheck']),
      ),
  ).option('--event-type <eventType>', 'event type, e.g. bridge.sync.mismatch');
  withFindingFilters(eventsBulk).action(
    async (
      action: string,
      options: FindingFilterOptions & BulkOptions & { eventType?: string },
    ) => {
      await runBulk(
        '/events/bulk',
        action,
        { event_type: options.eventType, ...findingFilterOf(options) },
        options,
        'open findings',
      );
    },
  );

  const scan = program.command('scan').description('full consistency scans');
  scan
    .command('run')
    .description('ask for a scan (admin)')
    .option('--full', 'a full re-scan instead of reading what changed')
    .option(
      '--method <method>',
      'a full scan by `listing` (the reference pass) or by `digest` (default: the scanner chooses)',
    )
    .action(async (options: { full?: boolean; method?: string }) => {
      const asked = await client().post<Row>('/scan', {
        mode: options.full ? 'full' : 'incremental',
        ...(options.method ? { method: options.method } : {}),
      });
      print(asked, () => `scan ${String(asked.scan_id)} requested (${String(asked.mode)})`);
    });
  const showScan = (scanRecord: Row) => print(scanRecord, () => formatRecord(scanRecord));
  scan.command('latest').action(async () => showScan(await client().get<Row>('/scan/latest')));
  scan
    .command('show <id>')
    .action(async (id: string) =>
      showScan(await client().get<Row>(`/scans/${encodeURIComponent(id)}`)),
    );

  const repairs = program.command('repairs').description('repair jobs');
  repairs
    .command('list')
    .option('--state <states>', 'comma-separated, e.g. AWAITING_APPROVAL,EXPIRED,FAILED')
    .option('--limit <n>')
    .action(async (options: { state?: string; limit?: string }) => {
      const page = await client().get<Page>('/repairs', {
        state: options.state,
        limit: options.limit,
      });
      printPage(page, [
        ['id', (r) => r.id],
        ['state', (r) => r.state],
        ['priority', (r) => r.priority],
        ['mismatch_type', (r) => r.mismatch_type],
        ['strategy', (r) => r.strategy],
        ['attempts', (r) => r.attempts],
        ['last_error', (r) => r.last_error],
      ]);
    });
  repairs.command('show <id>').action(async (id: string) => {
    const job = await client().get<Row>(`/repairs/${encodeURIComponent(id)}`);
    print(job, () => formatRecord(job));
  });
  for (const decision of ['approve', 'reject'] as const) {
    repairs
      .command(`${decision} <id>`)
      .description(`${decision} a repair awaiting approval (admin)`)
      .option('--reason <text>')
      .action(async (id: string, options: { reason?: string }) => {
        const job = await client().post<Row>(
          `/repairs/${encodeURIComponent(id)}/${decision}`,
          options.reason ? { reason: options.reason } : {},
        );
        print(job, () => `repair ${String(job.id)} is ${String(job.state)}`);
      });
  }
  repairs
    .command('retry <id>')
    .description('start a FAILED, REJECTED or EXPIRED repair again, as a new job (admin)')
    .action(async (id: string) => {
      const job = await client().post<Row>(`/repairs/${encodeURIComponent(id)}/retry`);
      print(
        job,
        () => `repair ${String(job.retry_of)} retried as ${String(job.id)} (${String(job.state)})`,
      );
    });
  repairs
    .command('priority')
    .description("change an active repair's priority (admin); higher runs first")
    .argument('<id>')
    .addArgument(new Argument('<priority>', 'a whole number, negative too').argParser(parseInteger))
    .action(async (id: string, priority: number) => {
      const job = await client().post<Row>(`/repairs/${encodeURIComponent(id)}/priority`, {
        priority,
      });
      print(job, () => `repair ${String(job.id)} has priority ${String(job.priority)}`);
    });
  withBulkOptions(
    repairs
      .command('bulk')
      .description(
        'approve or reject every repair awaiting approval (or expired) a filter selects (admin): previews unless --yes',
      )
      .addArgument(new Argument('<action>', 'the decision').choices(['approve', 'reject'])),
  )
    .addOption(
      new Option('--state <state>', 'only these (default: both)').choices([
        'AWAITING_APPROVAL',
        'EXPIRED',
      ]),
    )
    .option('--mismatch-type <type>')
    .option('--strategy <strategy>')
    .action(
      async (
        action: string,
        options: BulkOptions & { state?: string; mismatchType?: string; strategy?: string },
      ) => {
        await runBulk(
          '/repairs/bulk',
          action,
          {
            state: options.state,
            mismatch_type: options.mismatchType,
            strategy: options.strategy,
          },
          options,
          repairsNoun(options.state),
        );
      },
    );

  const dlq = program.command('dlq').description('dead letters');
  const dlqFilters = (command: Command) =>
    command
      .option('--source-topic <topic>')
      .addOption(
        new Option('--failure-kind <kind>').choices(['undecodable', 'invalid', 'handler_failed']),
      )
      .option('--consumer-group <group>')
      .addOption(new Option('--status <status>').choices(['pending', 'requeued', 'all']))
      .option('--since <iso>')
      .option('--until <iso>');
  const filterOf = (options: Record<string, string | undefined>) => ({
    source_topic: options.sourceTopic,
    failure_kind: options.failureKind,
    consumer_group: options.consumerGroup,
    status: options.status,
    since: options.since,
    until: options.until,
  });
  dlqFilters(dlq.command('list'))
    .option('--limit <n>')
    .option('--cursor <cursor>')
    .action(async (options: Record<string, string | undefined>) => {
      const page = await client().get<Page>('/dead-letters', {
        ...filterOf(options),
        limit: options.limit,
        cursor: options.cursor,
      });
      printPage(page, [
        ['id', (r) => r.id],
        ['occurred_at', (r) => r.occurred_at],
        ['source_topic', (r) => r.source_topic],
        ['failure_kind', (r) => r.failure_kind],
        ['consumer_group', (r) => r.consumer_group],
        ['requeues', (r) => r.requeue_count],
        ['reason', (r) => r.reason],
      ]);
    });
  dlq.command('show <id>').action(async (id: string) => {
    const letter = await client().get<Row>(`/dead-letters/${encodeURIComponent(id)}`);
    print(letter, () => formatRecord(letter));
  });
  dlqFilters(dlq.command('requeue [id]'))
    .description('send a dead letter back to its topic, or every one a filter matches (admin)')
    .option('--matching', 'requeue what the filter matches instead of one id')
    .option('--limit <n>', 'most to requeue with --matching (default 100, at most 1000)')
    .action(
      async (
        id: string | undefined,
        options: Record<string, string | undefined> & { matching?: boolean },
      ) => {
        if (id && !options.matching) {
          const letter = await client().post<Row>(
            `/dead-letters/${encodeURIComponent(id)}/requeue`,
          );
          print(letter, () => `requeued ${String(letter.id)} to ${String(letter.source_topic)}`);
          return;
        }
        if (!options.matching || id) {
          throw new CliError(
            'give one dead letter id, or --matching with filters',
            EXIT_CODES.usage,
          );
        }
        const filter = Object.fromEntries(
          Object.entries(filterOf(options)).filter(([, value]) => value !== undefined),
        );
        const done = await client().post<{ requeued: number; ids: string[] }>(
          '/dead-letters/requeue',
          {
            ...filter,
            ...(options.limit ? { limit: Number(options.limit) } : {}),
          },
        );
        print(done, () => `requeued ${done.requeued} dead letter(s)`);
      },
    );

  program
    .command('audit')
    .description('the audit log of admin actions, newest first (admin)')
    .option('--actor <name>', 'who acted: a token name or JWT subject')
    .option(
      '--action <action>',
      'resolve, recheck, start_repair, snooze, wake, bulk_findings, approve, reject, retry, set_priority, bulk_decide, requeue, requeue_many, scan_request',
    )
    .option('--object-type <type>', 'sync_event, repair_job, dead_letter or scan')
    .option('--object-id <id>')
    .option('--since <iso>')
    .option('--until <iso>')
    .option('--limit <n>')
    .option('--cursor <cursor>')
    .action(async (options: Record<string, string | undefined>) => {
      const page = await client().get<Page>('/audit', {
        actor: options.actor,
        action: options.action,
        object_type: options.objectType,
        object_id: options.objectId,
        since: options.since,
        until: options.until,
        limit: options.limit,
        cursor: options.cursor,
      });
      printPage(page, [
        ['at', (r) => r.at],
        ['actor', (r) => r.actor],
        ['role', (r) => r.role],
        ['action', (r) => r.action],
        ['object_type', (r) => r.object_type],
        ['object_id', (r) => r.object_id],
        ['outcome', (r) => r.outcome],
        ['client', (r) => r.client_address],
        ['reason', (r) => r.reason],
      ]);
    });

  program
    .command('health')
    .description("the API service's health (no token needed)")
    .action(async () => {
      const report = await client().health<{
        status: string;
        details?: Record<string, { status: string }>;
      }>();
      print(report, () =>
        [
          `status: ${report.status}`,
          ...Object.entries(report.details ?? {}).map(([name, part]) => `${name}: ${part.status}`),
        ].join('\n'),
      );
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    if (error instanceof CliError) {
      io.err(`bridge-sync: ${error.message}`);
      return error.exitCode;
    }
    io.err(`bridge-sync: ${(error as Error).message}`);
    return EXIT_CODES.unavailable;
  }
}
