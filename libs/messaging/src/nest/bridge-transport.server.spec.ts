import { randomUUID } from 'node:crypto';
import { Controller, type INestApplication } from '@nestjs/common';
import { Ctx, Payload, type CustomStrategy } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { ConfigModule, loadConfig } from '@bridge/config';
import { DEAD_LETTER_TOPIC, Topics, type EventOf } from '@bridge/contracts';
import { PermanentError } from '@bridge/errors';
import { EventPublisher, type ReceivedEvent } from '../event-bus';
import { MessagingModule, TRANSPORT, type Transport } from '../messaging.module';
import { BridgeEventContext } from './bridge-event-context';
import { BridgeTransportServer } from './bridge-transport.server';
import { ConsumeEvents } from './consume-events.decorator';

type Batch = EventOf<'hippo.ingest.batch_completed'>;

const batchEvent = (count: number): Batch => ({
  event_id: randomUUID(),
  occurred_at: Date.now(),
  batch_id: `b-${count}`,
  entity_type: 'sample',
  count,
  actor: 'hippo-loader',
});

/** What the test controller saw, shared with the test. */
const seen = {
  batches: [] as Array<{ counts: number[]; group: string; topic: string }>,
  singles: [] as number[],
  deadLetters: [] as Array<EventOf<typeof DEAD_LETTER_TOPIC>>,
  /** Attempts the `outage` handler saw, and how many of them should meet a database outage. */
  outageAttempts: 0,
  outageFailures: 0,
};

@Controller()
class TestConsumers {
  @ConsumeEvents(Topics.HippoIngestBatchCompleted, { group: 'batches', batch: true })
  async batches(
    @Payload() events: Array<ReceivedEvent<'hippo.ingest.batch_completed'>>,
    @Ctx() context: BridgeEventContext,
  ): Promise<void> {
    await context.keepAlive();
    seen.batches.push({
      counts: events.map((e) => e.event.count),
      group: context.getGroupId(),
      topic: context.getTopic(),
    });
  }

  /** One at a time; a negative count is refused for good. */
  @ConsumeEvents(Topics.HippoIngestBatchCompleted, { group: 'singles' })
  single(@Payload() received: ReceivedEvent<'hippo.ingest.batch_completed'>): void {
    if (received.event.count < 0)
      throw new PermanentError(`negative count ${received.event.count}`);
    seen.singles.push(received.event.count);
  }

  /** Meets a database outage (ECONNREFUSED) `outageFailures` times, then succeeds. */
  @ConsumeEvents(Topics.CappellaReconciliationCompleted, { group: 'outage' })
  outage(): void {
    seen.outageAttempts += 1;
    if (seen.outageAttempts <= seen.outageFailures) {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
      });
    }
  }

  @ConsumeEvents(DEAD_LETTER_TOPIC, { group: 'dlq-watch' })
  deadLetter(@Payload() received: ReceivedEvent<typeof DEAD_LETTER_TOPIC>): void {
    seen.deadLetters.push(received.event);
  }
}

describe('BridgeTransportServer on the in-process bus', () => {
  let app: INestApplication;
  let bus: Extract<Transport, { kind: 'in-process' }>['bus'];

  beforeAll(async () => {
    const config = loadConfig({
      CONSUMER_MAX_ATTEMPTS: '2',
      CONSUMER_RETRY_INITIAL_MS: '1',
      CONSUMER_RETRY_MAX_MS: '5',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), MessagingModule],
      controllers: [TestConsumers],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.connectMicroservice<CustomStrategy>({ strategy: app.get(BridgeTransportServer) });
    await app.startAllMicroservices();
    await app.init();
    const transport = app.get<Transport>(TRANSPORT);
    if (transport.kind !== 'in-process') throw new Error('expected the in-process transport');
    bus = transport.bus;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('runs each @ConsumeEvents handler as its own consumer group, prefixed', () => {
    expect(app.get(BridgeTransportServer).consumerGroups()).toEqual([
      'bridge-batches',
      'bridge-singles',
      'bridge-outage',
      'bridge-dlq-watch',
    ]);
  });

  it('hands batch handlers arrays and single handlers one event, with the RPC context', async () => {
    const publisher = app.get(EventPublisher);
    await publisher.publishMany(
      Topics.HippoIngestBatchCompleted,
      [1, 2, 3].map((count) => ({ event: batchEvent(count), key: `b-${count}` })),
    );
    await bus.idle();
    expect(seen.batches.flatMap((b) => b.counts)).toEqual([1, 2, 3]);
    expect(seen.batches.every((b) => b.group === 'bridge-batches')).toBe(true);
    expect(seen.batches[0].topic).toBe(Topics.HippoIngestBatchCompleted);
    expect(seen.singles).toEqual([1, 2, 3]);
  });

  it("keeps a handler's own error: a permanent failure is dead-lettered with its reason, at once", async () => {
    await app.get(EventPublisher).publish(Topics.HippoIngestBatchCompleted, batchEvent(-7), 'b-x');
    await bus.idle();
    expect(seen.deadLetters).toHaveLength(1);
    expect(seen.deadLetters[0]).toMatchObject({
      source_topic: Topics.HippoIngestBatchCompleted,
      consumer_group: 'bridge-singles',
      attempts: 1,
    });
    expect(seen.deadLetters[0].reason).toContain('negative count -7');
    expect(seen.singles).not.toContain(-7);
  });

  it('holds an event through an infrastructure outage (more failures than attempts) instead of dead-lettering it', async () => {
    const deadLettersBefore = seen.deadLetters.length;
    seen.outageFailures = 5; // the loop allows 2 attempts per message
    await app.get(EventPublisher).publish(
      Topics.CappellaReconciliationCompleted,
      {
        event_id: randomUUID(),
        occurred_at: Date.now(),
        scan_id: 'scan-1',
        discrepancy_count: 0,
        resolved_count: 0,
      },
      'scan-1',
    );
    await bus.idle();
    expect(seen.outageAttempts).toBe(6);
    expect(seen.deadLetters).toHaveLength(deadLettersBefore);
  });

  it('on close, lets queued work finish first, then stops every consumer', async () => {
    const server = app.get(BridgeTransportServer);
    const publisher = app.get(EventPublisher);
    const before = seen.singles.length;
    await publisher.publish(Topics.HippoIngestBatchCompleted, batchEvent(41), 'b-41');
    await server.close();
    expect(seen.singles.slice(before)).toEqual([41]);
    await publisher.publish(Topics.HippoIngestBatchCompleted, batchEvent(42), 'b-42');
    await bus.idle();
    expect(seen.singles).not.toContain(42);
    expect(bus.backlog().size).toBe(0);
  });
});
