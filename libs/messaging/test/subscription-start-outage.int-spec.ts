/**
 * A subscription that starts while its broker is out of reach (a service starting, or restarted
 * after a crash, during a broker restart) waits the outage out instead of failing its process,
 * and then consumes. The broker is reached through a port of the test's own: nothing listens
 * there at first (connections refused, as while a broker restarts), then a forwarder to the
 * shared broker does.
 */
import { randomUUID } from 'node:crypto';
import { Topics, type EventOf } from '@bridge/contracts';
import { createTransport, type Subscription, type Transport } from '@bridge/messaging';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePorts } from '../../../test/service-processes';
import { eventually, stackConfig, stackEnv } from '../../../test/stack-config';

/** Forwards `port` to the broker, from the moment it is called. */
async function forward(port: number, target: { host: string; port: number }): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

type KafkaTransport = Extract<Transport, { kind: 'kafka' }>;

describe('a subscription starting during a broker outage', () => {
  let forwarder: Server | undefined;
  let transport: KafkaTransport | undefined;
  let subscription: Subscription | undefined;

  afterAll(async () => {
    await subscription?.stop();
    await transport?.connection.close();
    await new Promise((resolve) => (forwarder ? forwarder.close(resolve) : resolve(undefined)));
  });

  it('waits until the broker can be reached, then consumes', async () => {
    const [host, port] = stackEnv().brokers.split(',')[0].split(':');
    const [ownPort] = await freePorts(1);
    const created = createTransport(stackConfig({ KAFKA_BROKERS: `127.0.0.1:${ownPort}` }));
    if (created.kind !== 'kafka') throw new Error('expected Kafka');
    transport = created;

    const runId = `run-${randomUUID()}`;
    const received: string[] = [];
    let started = false;
    const subscribing = transport.subscriber
      .subscribe({
        groupId: `outage-start-${randomUUID()}`,
        topics: [Topics.CappellaRunCompleted],
        handler: (message) => {
          if (message.event.run_id === runId) received.push(message.event.event_id);
          return Promise.resolve();
        },
      })
      .then((ready) => {
        started = true;
        return ready;
      });
    // Long enough for kafkajs's own retries to give up while the broker cannot be reached.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(started).toBe(false);

    forwarder = await forward(ownPort, { host, port: Number(port) });
    subscription = await subscribing;
    const event: EventOf<'cappella.run.completed'> = {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      run_id: runId,
      pipeline_id: 'p',
      outputs: [],
      actor: 'test',
    };
    await transport.publisher.publish(Topics.CappellaRunCompleted, event, runId);
    await eventually(() => (received.length > 0 ? true : undefined), 60_000, 'the event consumed');
    expect(received).toEqual([event.event_id]);
  }, 180_000);
});
