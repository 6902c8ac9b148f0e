import { describe, expect, it } from '@jest/globals';
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { NotFoundError, ScanInProgressError, StateConflictError } from '@bridge/errors';
import {
  auditEntryOf,
  MAX_AUDIT_REASON,
  outcomeOf,
  type AdminCall,
  type AuditedAction,
} from './admin-audit-entry';

const alice = { name: 'alice', role: 'admin' } as const;
const JOB = '5b0c6f39-2a56-4d36-9b2b-8b6f4bd6c0a1';

const approve: AuditedAction = {
  action: 'approve',
  objectType: 'repair_job',
  objectId: { param: 'id' },
};
const requeueMany: AuditedAction = {
  action: 'requeue_many',
  objectType: 'dead_letter',
  bodyAs: 'filter',
  answerFields: { count: 'requeued', ids: 'ids' },
};
const scanRequest: AuditedAction = {
  action: 'scan_request',
  objectType: 'scan',
  objectId: { answerField: 'scan_id' },
  bodyAs: 'request',
};

const call = (overrides: Partial<AdminCall> = {}): AdminCall => ({
  principal: alice,
  params: {},
  body: {},
  clientAddress: '::ffff:10.0.0.7',
  ...overrides,
});

describe('auditEntryOf', () => {
  it('names who, what, which object, why and from where, pending while the action runs', () => {
    const approval = call({ params: { id: JOB }, body: { reason: '  checked with the team ' } });
    expect(auditEntryOf(approve, approval, null)).toEqual({
      actor: 'alice',
      role: 'admin',
      action: 'approve',
      objectType: 'repair_job',
      objectId: JOB,
      reason: 'checked with the team',
      clientAddress: '::ffff:10.0.0.7',
      outcome: 'pending',
      details: {},
    });
    expect(auditEntryOf(approve, approval, { ok: true, answer: { id: JOB } })).toMatchObject({
      objectId: JOB,
      outcome: 'ok',
      details: {},
    });
  });

  it('keeps the filter and the count of a filtered requeue, never the reason twice', () => {
    const body = { consumer_group: 'bridge-checker', status: 'pending', reason: 'broker fixed' };
    const entry = auditEntryOf(requeueMany, call({ body }), {
      ok: true,
      answer: { requeued: 2, ids: ['a', 'b'] },
    });
    expect(entry).toMatchObject({
      objectId: null,
      reason: 'broker fixed',
      outcome: 'ok',
      details: {
        filter: { consumer_group: 'bridge-checker', status: 'pending' },
        count: 2,
        ids: ['a', 'b'],
      },
    });
  });

  it('takes the id of what the action created from its answer, once it has one', () => {
    const asked = call({ body: { mode: 'full' } });
    expect(auditEntryOf(scanRequest, asked, null)).toMatchObject({
      objectId: null,
      details: { request: { mode: 'full' } },
    });
    expect(
      auditEntryOf(scanRequest, asked, { ok: true, answer: { scan_id: 'scan-7', mode: 'full' } }),
    ).toMatchObject({ objectId: 'scan-7', outcome: 'ok' });
  });

  it('records a refusal with its error code, status and message', () => {
    const conflict = auditEntryOf(scanRequest, call(), {
      ok: false,
      error: new ScanInProgressError('scan-3'),
    });
    expect(conflict).toMatchObject({
      objectId: null,
      outcome: 'state_conflict',
      details: {
        request: {},
        error: { status: 409, message: 'scan scan-3 is already in progress' },
      },
    });
    const forbidden = auditEntryOf(
      approve,
      call({ principal: { name: 'grafana', role: 'reader' }, params: { id: JOB } }),
      { ok: false, error: new ForbiddenException('this needs the admin role') },
    );
    expect(forbidden).toMatchObject({
      actor: 'grafana',
      role: 'reader',
      objectId: JOB,
      outcome: 'forbidden',
      details: { error: { status: 403, message: 'this needs the admin role' } },
    });
  });

  it('hides the internals of an unexpected failure, as the answer does', () => {
    const entry = auditEntryOf(approve, call({ params: { id: JOB } }), {
      ok: false,
      error: new Error('connect ECONNREFUSED postgres://user:secret@db'),
    });
    expect(entry.outcome).toBe('internal_error');
    expect(entry.details).toEqual({ error: { status: 500, message: 'internal error' } });
  });

  it('keeps what an invalid request carried, within bounds', () => {
    const long = 'x'.repeat(MAX_AUDIT_REASON + 50);
    const entry = auditEntryOf(
      requeueMany,
      call({ params: { id: 'y'.repeat(500) }, body: { reason: long, limit: 'z'.repeat(5_000) } }),
      { ok: false, error: new BadRequestException('invalid request body: limit') },
    );
    expect(entry.reason).toHaveLength(MAX_AUDIT_REASON);
    expect(entry.outcome).toBe('invalid_request');
    expect(entry.details.filter).toEqual({ omitted_characters: 5_012 });
    const bad = auditEntryOf(
      { ...approve, bodyAs: 'request' },
      call({ params: { id: 'y'.repeat(500) }, body: { reason: 7 } }),
      null,
    );
    expect(bad.objectId).toHaveLength(200);
    expect(bad.reason).toBeNull();
    expect(bad.details).toEqual({ request: {} });
    expect(auditEntryOf(approve, call({ params: { id: ['a', 'b'] } }), null).objectId).toBeNull();
  });

  it('keeps hostile text PostgreSQL could not store as a replacement character', () => {
    const entry = auditEntryOf(
      { ...requeueMany, objectId: { param: 'id' } },
      call({
        params: { id: 'a\u0000b' },
        body: { reason: 'why\u0000', ['k\u0000']: ['\uD800x', '🙂'] },
      }),
      { ok: false, error: new BadRequestException('unrecognized key "k\u0000"') },
    );
    expect(entry.objectId).toBe('a\uFFFDb');
    expect(entry.reason).toBe('why\uFFFD');
    expect(entry.details).toEqual({
      filter: { 'k\uFFFD': ['\uFFFDx', '🙂'] },
      error: { status: 400, message: 'unrecognized key "k\uFFFD"' },
    });
    const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown;
    expect(auditEntryOf(requeueMany, call({ body: deep }), null).details).toEqual({
      filter: { omitted: 'too deeply nested' },
    });
  });
});

describe('outcomeOf', () => {
  it('uses a Bridge error’s own code and names the HTTP refusals', () => {
    expect(outcomeOf(new NotFoundError('no repair job x'))).toBe('not_found');
    expect(outcomeOf(new StateConflictError('REJECTED already'))).toBe('state_conflict');
    expect(outcomeOf(new BadRequestException('x'))).toBe('invalid_request');
    expect(outcomeOf(new ForbiddenException('x'))).toBe('forbidden');
    expect(outcomeOf('a string thrown')).toBe('internal_error');
  });
});
