/**
 * Counts for dashboards: findings per kind per hour over a time range (default the last 24
 * hours, at most 31 days), the open mismatches by type and source component, and the
 * operations overview (throughput, latency, lag, circuits, outbox) from the services' status
 * reports.
 */
import { Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { ZodPipe } from '@bridge/runtime';
import { RepairJobStore, ServiceStatusStore, SyncEventLog, SyncEventQueries } from '@bridge/store';
import { InstantSchema as instant } from '../request-fields';
import { QueryApiController } from '../query-api-controller';
import { operationsOverview } from './operations-overview';

/** Status reports older than this are not shown (a process gone for good). */
const STATUS_HORIZON_MS = 15 * 60_000;

const DAY_MS = 24 * 3_600_000;
const MAX_RANGE_MS = 31 * DAY_MS;

export const HourlyQuerySchema = z
  .object({ since: instant.optional(), until: instant.optional() })
  .strict()
  .transform((query, context) => {
    const until = query.until ?? new Date();
    const since = query.since ?? new Date(until.getTime() - DAY_MS);
    if (since >= until) {
      context.addIssue({ code: 'custom', path: ['since'], message: 'must be before until' });
    } else if (until.getTime() - since.getTime() > MAX_RANGE_MS) {
      context.addIssue({
        code: 'custom',
        path: ['since'],
        message: 'at most 31 days before until',
      });
    }
    return { since, until };
  });

@QueryApiController('summary', 'summary')
export class SummaryController {
  constructor(
    private readonly log: SyncEventLog,
    private readonly queries: SyncEventQueries,
    private readonly repairs: RepairJobStore,
    private readonly statuses: ServiceStatusStore,
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
  ) {}

  @Get('findings-per-hour')
  @ApiOperation({ summary: 'Findings recorded per hour (UTC) and kind' })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601; default until − 24 h' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO 8601; default now' })
  async perHour(
    @Query(new ZodPipe(HourlyQuerySchema, 'query')) query: z.output<typeof HourlyQuerySchema>,
  ) {
    const counts = await this.queries.countsPerHour(query.since, query.until);
    return {
      since: query.since.toISOString(),
      until: query.until.toISOString(),
      items: counts.map((count) => ({
        hour: count.hour.toISOString(),
        event_type: count.eventType,
        mismatch_type: count.mismatchType,
        count: count.total,
      })),
    };
  }

  @Get('open-mismatches')
  @ApiOperation({ summary: 'Unresolved mismatches and stale caches by mismatch type and source' })
  async openMismatches() {
    const rows = await this.queries.openMismatches();
    return {
      items: rows.map((row) => ({
        mismatch_type: row.mismatchType,
        source: row.source,
        open: row.open,
      })),
    };
  }

  @Get('operations')
  @ApiOperation({
    summary:
      'What the deployment is doing now: check and repair throughput and latency, consumer lag, circuit states, outbox backlog, per process',
  })
  async operations() {
    const now = new Date();
    const [reports, findings, repairs] = await Promise.all([
      this.statuses.since(new Date(now.getTime() - STATUS_HORIZON_MS)),
      this.log.countOwed(),
      this.repairs.countOwed(),
    ]);
    return operationsOverview(
      reports,
      { findings, repairs },
      now,
      this.config.statusReportIntervalMs,
    );
  }
}
