import { describe, expect, it } from '@jest/globals';
import { ForbiddenException, RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { DataSource } from 'typeorm';
import { StateConflictError } from '@bridge/errors';
import { AuditLog, type AuditEntry, type AuditSettlement, type NewAuditEntry } from '@bridge/store';
import { ApiModule } from '../api.module';
import { EventsController } from '../events/events.controller';
import { ScansController } from '../scans/scans.controller';
import { declaredActionOf } from './admin-action';
import { AdminAudit } from './admin-audit';
import { AuditController } from './audit.controller';

/** The audit log in memory, failing its settlements when told to. */
class MemoryAuditLog extends AuditLog {
  readonly entries: AuditEntry[] = [];
  failSettlements = false;

  constructor() {
    // Never initialised: nothing here reaches a database.
    super(new DataSource({ type: 'postgres' }));
  }

  override append(entry: NewAuditEntry): Promise<AuditEntry> {
    const stored = { ...entry, id: `entry-${this.entries.length + 1}`, at: new Date() };
    this.entries.push(stored);
    return Promise.resolve(stored);
  }

  override settle(id: string, settlement: AuditSettlement): Promise<void> {
    if (this.failSettlements) return Promise.reject(new Error('database gone'));
    const entry = this.entries.find((candidate) => candidate.id === id);
    if (!entry) return Promise.reject(new Error(`no entry ${id}`));
    Object.assign(entry, settlement);
    return Promise.resolve();
  }
}

const alice = { name: 'alice', role: 'admin' } as const;

function handlerOf(controller: Type, name: string): () => unknown {
  return (controller.prototype as Record<string, () => unknown>)[name];
}

/** The execution context of a call to the controller's handler `name`, as Nest builds it. */
function contextOf(controller: Type, name: string, request: Record<string, unknown>) {
  return new ExecutionContextHost(
    [request, {}, () => undefined],
    controller,
    handlerOf(controller, name),
  );
}

/** Every HTTP route of a controller: its handler's name and HTTP method. */
function routesOf(controller: Type): Array<{ handler: string; method: string }> {
  return Object.getOwnPropertyNames(controller.prototype).flatMap((handler) => {
    const verb = Reflect.getMetadata(METHOD_METADATA, handlerOf(controller, handler)) as
      RequestMethod | undefined;
    return handler === 'constructor' || verb === undefined
      ? []
      : [{ handler, method: RequestMethod[verb] }];
  });
}

describe('AdminAudit', () => {
  const reflector = new Reflector();

  it('audits every admin route of the API that writes, under the action it declares', () => {
    const audit = new AdminAudit(reflector, new MemoryAuditLog());
    const controllers = Reflect.getMetadata('controllers', ApiModule) as Type[];
    const actions: string[] = [];
    for (const controller of controllers) {
      for (const { handler, method } of routesOf(controller)) {
        const action = audit.actionOf(contextOf(controller, handler, { method }));
        if (!action) continue;
        // Without `@AdminAction` a route is audited under its handler's name; this names it.
        expect({
          handler,
          declared: declaredActionOf(reflector, handlerOf(controller, handler)),
        }).toEqual({ handler, declared: action });
        actions.push(action.action);
      }
    }
    expect(actions.sort()).toEqual(
      [
        'approve',
        'bulk_decide',
        'bulk_findings',
        'recheck',
        'reject',
        'requeue',
        'requeue_many',
        'resolve',
        'retry',
        'scan_request',
        'set_priority',
        'snooze',
        'start_repair',
        'wake',
      ].sort(),
    );
    // Admin-only reads change nothing: listing the audit log is not itself audited.
    expect(audit.actionOf(contextOf(AuditController, 'list', { method: 'GET' }))).toBeNull();
    expect(audit.actionOf(contextOf(EventsController, 'resolve', { method: 'POST' }))).toEqual(
      expect.objectContaining({ action: 'resolve', objectType: 'sync_event' }),
    );
  });

  it('writes the entry before the action runs and settles it with the outcome after', async () => {
    const log = new MemoryAuditLog();
    const audit = new AdminAudit(reflector, log);
    const request = {
      method: 'POST',
      principal: alice,
      params: {},
      body: { mode: 'full' },
      ip: '127.0.0.1',
    };
    const context = contextOf(ScansController, 'request', request);
    const action = audit.actionOf(context);
    if (!action) throw new Error('scan requests are admin actions');
    const seenWhileRunning: string[] = [];
    const answer = await audit.around(context, action, () => {
      seenWhileRunning.push(...log.entries.map((entry) => entry.outcome));
      return Promise.resolve({ scan_id: 'scan-1', status: 'requested', mode: 'full' });
    });
    expect(answer).toEqual({ scan_id: 'scan-1', status: 'requested', mode: 'full' });
    expect(seenWhileRunning).toEqual(['pending']);
    expect(log.entries).toEqual([
      expect.objectContaining({
        actor: 'alice',
        action: 'scan_request',
        objectType: 'scan',
        objectId: 'scan-1',
        clientAddress: '127.0.0.1',
        outcome: 'ok',
      }),
    ]);

    const refused = audit.around(context, action, () =>
      Promise.reject(new StateConflictError('scan scan-1 is already in progress')),
    );
    await expect(refused).rejects.toBeInstanceOf(StateConflictError);
    expect(log.entries[1]).toMatchObject({ outcome: 'state_conflict', objectId: null });
  });

  it('fails the call when the outcome cannot be recorded, leaving the entry pending', async () => {
    const log = new MemoryAuditLog();
    const audit = new AdminAudit(reflector, log);
    const context = contextOf(EventsController, 'resolve', {
      method: 'POST',
      principal: alice,
      params: { id: 'e-1' },
      body: { reason: 'by hand' },
    });
    const action = audit.actionOf(context);
    if (!action) throw new Error('resolving is an admin action');
    log.failSettlements = true;
    await expect(audit.around(context, action, () => Promise.resolve({}))).rejects.toThrow(
      'database gone',
    );
    expect(log.entries).toEqual([
      expect.objectContaining({ action: 'resolve', objectId: 'e-1', outcome: 'pending' }),
    ]);
  });

  it('records a reader refused at an admin route, and nothing for a refused read', async () => {
    const log = new MemoryAuditLog();
    const audit = new AdminAudit(reflector, log);
    const reader = { name: 'grafana', role: 'reader' } as const;
    const refusal = new ForbiddenException('this needs the admin role');
    await audit.refused(
      contextOf(EventsController, 'resolve', { method: 'POST', params: { id: 'e-2' }, body: {} }),
      reader,
      refusal,
    );
    await audit.refused(contextOf(AuditController, 'list', { method: 'GET' }), reader, refusal);
    expect(log.entries).toEqual([
      expect.objectContaining({
        actor: 'grafana',
        role: 'reader',
        action: 'resolve',
        objectId: 'e-2',
        outcome: 'forbidden',
      }),
    ]);
  });
});
