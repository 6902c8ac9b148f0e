import { randomUUID } from 'node:crypto';
import { Type, type Schema } from 'avsc';
import { InvalidEventError } from '@bridge/errors';
import { Topics, TopicSchemas, avroTypeOf, validateEvent, type EventOf } from './index';

const runCompleted = (): EventOf<'cappella.run.completed'> => ({
  event_id: randomUUID(),
  occurred_at: Date.now(),
  run_id: 'run-1',
  pipeline_id: 'pipe-1',
  outputs: [{ entity_type: 'sample', external_id: 'S-1' }],
  actor: 'alice',
});

describe('event validation', () => {
  it('accepts an event that matches its topic schema', () => {
    expect(() => validateEvent(Topics.CappellaRunCompleted, runCompleted())).not.toThrow();
  });

  it('names each wrong field and the type it expected', () => {
    const bad = { ...runCompleted(), run_id: 42, outputs: [{ entity_type: 'sample' }] };
    let caught: unknown;
    try {
      validateEvent(Topics.CappellaRunCompleted, bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidEventError);
    const problems = (caught as InvalidEventError).problems.join('\n');
    expect(problems).toContain('run_id: expected string, got 42');
    expect(problems).toContain('outputs.0.external_id: expected string');
  });

  it('refuses an unknown enum symbol', () => {
    expect(() =>
      validateEvent(Topics.HippoEntitiesAvailabilityChanged, {
        event_id: randomUUID(),
        occurred_at: 1,
        change: 'VANISHED',
        entities: [],
        actor: 'hippo',
      }),
    ).toThrow(/change: expected enum/);
  });
});

describe('schema evolution', () => {
  // A v2 of cappella.run.completed that adds an optional field, as a producer might ship it.
  const v1 = TopicSchemas['cappella.run.completed'].schema as unknown as { fields: unknown[] };
  const v2 = {
    ...v1,
    fields: [...v1.fields, { name: 'priority', type: ['null', 'int'], default: null }],
  } as unknown as Schema;

  it('lets a v1 consumer read an event written with v2', () => {
    const writer = Type.forSchema(v2);
    const reader = avroTypeOf(Topics.CappellaRunCompleted);
    const event = runCompleted();
    const decoded = reader.fromBuffer(
      writer.toBuffer({ ...event, priority: 7 }),
      reader.createResolver(writer),
    );
    expect(decoded).toEqual(event);
    expect(decoded).not.toHaveProperty('priority');
  });

  it('lets a v2 consumer read an event written with v1, filling the default', () => {
    const reader = Type.forSchema(v2);
    const writer = avroTypeOf(Topics.CappellaRunCompleted);
    const event = runCompleted();
    const decoded = reader.fromBuffer(writer.toBuffer(event), reader.createResolver(writer));
    expect(decoded).toEqual({ ...event, priority: null });
  });
});
