/**
 * `bridge-sync`, the command line of the query API, for operators and scripts (commander):
 * `events list|show|resolve`, `scan run|latest|show`, `repairs list|show|approve|reject`,
 * `dlq list|show|requeue`, `audit`, `health`. The API's URL comes from `--url` or
 * `BRIDGE_API_URL`, its token from `BRIDGE_API_TOKEN`, a token file (`--token-file`,
 * `BRIDGE_API_TOKEN_FILE`) or, with a warning, `--token` (see `chooseToken`); output is a table
 * (or `field: value` lines) for people, the API's JSON with `--json`; exit codes are
 * `EXIT_CODES`.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiClient, CliError, EXIT_CODES } from './api-client';
import { chooseToken } from './cli-token';
import { formatRecord, formatTable } from './table';

type Row = Record<string, unknown>;
type Page = { items: Row[]; next_cursor?: string | null };

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

  const events = program.command('events').description('the sync event log');
  events
    .command('list')
    .description('events, newest first')
    .addOption(
      new Option('--status <status>', 'open findings (unresolved), closed ones, or every row')
        .choices(['unresolved', 'resolved', 'all'])
        .default('unresolved'),
    )
    .option('--type <eventType>', 'event type, e.g. bridge.sync.mismatch')
    .option('--mismatch-type <type>')
    .option('--source <component>')
    .option('--source-id <id>')
    .option('--scan-id <id>', 'only the findings of this scan')
    .option('--since <iso>')
    .option('--until <iso>')
    .option('--limit <n>')
    .option('--cursor <cursor>')
    .action(async (options: Record<string, string | undefined>) => {
      const page = await client().get<Page>('/events', {
        status: options.status,
        event_type: options.type,
        mismatch_type: options.mismatchType,
        source: options.source,
        source_id: options.sourceId,
        scan_id: options.scanId,
        since: options.since,
        until: options.until,
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
      ]);
    });
  events.command('show <id>').action(async (id: string) => {
    const event = await client().get<Row>(`/events/${encodeURIComponent(id)}`);
    print(event, () => formatRecord(event));
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

  const scan = program.command('scan').description('full consistency scans');
  scan
    .command('run')
    .description('ask for a scan (admin)')
    .option('--full', 'a full re-scan instead of reading what changed')
    .action(async (options: { full?: boolean }) => {
      const asked = await client().post<Row>('/scan', {
        mode: options.full ? 'full' : 'incremental',
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
    .option('--state <states>', 'comma-separated, e.g. AWAITING_APPROVAL,FAILED')
    .option('--limit <n>')
    .action(async (options: { state?: string; limit?: string }) => {
      const page = await client().get<Page>('/repairs', {
        state: options.state,
        limit: options.limit,
      });
      printPage(page, [
        ['id', (r) => r.id],
        ['state', (r) => r.state],
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
    .option('--action <action>', 'resolve, approve, reject, requeue, requeue_many, scan_request')
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
