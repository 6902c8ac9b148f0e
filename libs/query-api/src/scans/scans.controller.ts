/**
 * Scans: the latest one, the history (newest first), one by id (with progress and an estimated
 * end while it runs), the findings one scan made (paged like `GET /events`), and asking for one
 * (admin): 202 with its id, picked up by a scanner within its poll interval; 409 naming the
 * scan already in progress.
 */
import { Body, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { NotFoundError } from '@bridge/errors';
import { ZodPipe } from '@bridge/runtime';
import { SCAN_METHODS, SCAN_MODES, ScanStore, SyncEventQueries } from '@bridge/store';
import type { AuthenticatedRequest } from '../auth/api-auth.guard';
import { AdminAction } from '../audit/admin-action';
import { EventQuerySchema, storeQueryOf } from '../events/event-query';
import { syncEventView, type SyncEventView } from '../events/sync-event-view';
import { encodeCursor } from '../page-cursor';
import { scanView, type ScanView } from './scan-view';
import { IdSchema } from '../request-fields';
import { QueryApiController } from '../query-api-controller';

export const ScanRequestSchema = z
  .object({
    mode: z.enum(SCAN_MODES).default('incremental'),
    /** Absent: digests for a full scan when both components offer them, unless the reference pass is due. */
    method: z.enum(SCAN_METHODS).optional(),
  })
  .strict();

/** The query of a scan's findings: that of `GET /events`, the scan given by the path. */
export const ScanFindingsQuerySchema = EventQuerySchema.omit({ scan_id: true });

export const ScanListQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(20) })
  .strict();

@QueryApiController('', 'scans')
export class ScansController {
  constructor(
    private readonly scans: ScanStore,
    private readonly queries: SyncEventQueries,
  ) {}

  @Get('scan/latest')
  @ApiOperation({ summary: 'The most recently requested scan' })
  async latest(): Promise<ScanView> {
    const scan = await this.scans.latest();
    if (!scan) throw new NotFoundError('no scan has been requested yet');
    return scanView(scan, Date.now());
  }

  @Get('scans')
  @ApiOperation({ summary: 'Scans, most recently requested first' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 200, default 20' })
  async list(
    @Query(new ZodPipe(ScanListQuerySchema, 'query')) query: z.output<typeof ScanListQuerySchema>,
  ): Promise<{ items: ScanView[] }> {
    const now = Date.now();
    return { items: (await this.scans.list(query.limit)).map((scan) => scanView(scan, now)) };
  }

  @Get('scans/:id')
  @ApiOperation({ summary: 'One scan, with progress and an estimated end while it runs' })
  async show(@Param('id', new ZodPipe(IdSchema, 'scan id')) id: string): Promise<ScanView> {
    const scan = await this.scans.findById(id);
    if (!scan) throw new NotFoundError(`no scan ${id}`);
    return scanView(scan, Date.now());
  }

  @Get('scans/:id/findings')
  @ApiOperation({ summary: 'The findings a scan made, newest first, filtered and paged as events' })
  @ApiQuery({ name: 'status', required: false, enum: ['unresolved', 'resolved', 'all'] })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 500, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  async findings(
    @Param('id', new ZodPipe(IdSchema, 'scan id')) id: string,
    @Query(new ZodPipe(ScanFindingsQuerySchema, 'query'))
    params: z.output<typeof ScanFindingsQuerySchema>,
  ): Promise<{ items: SyncEventView[]; next_cursor: string | null }> {
    if (!(await this.scans.findById(id))) throw new NotFoundError(`no scan ${id}`);
    const page = await this.queries.page({ ...storeQueryOf(params), scanId: id });
    return {
      items: page.items.map(syncEventView),
      next_cursor: page.next ? encodeCursor({ at: page.next.createdAt, id: page.next.id }) : null,
    };
  }

  @Post('scan')
  @HttpCode(202)
  @AdminAction({
    action: 'scan_request',
    objectType: 'scan',
    objectId: { answerField: 'scan_id' },
    bodyAs: 'request',
  })
  @ApiOperation({ summary: 'Ask for a scan (admin); 409 while one is in progress' })
  async request(
    @Body(new ZodPipe(ScanRequestSchema)) body: z.output<typeof ScanRequestSchema>,
    @Req() request: AuthenticatedRequest,
  ): Promise<{ scan_id: string; status: string; mode: string }> {
    const scan = await this.scans.request({
      trigger: 'manual',
      mode: body.mode,
      method: body.method,
      requestedBy: request.principal.name,
    });
    return { scan_id: scan.id, status: scan.status, mode: scan.mode };
  }
}
