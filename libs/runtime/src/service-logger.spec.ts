import { Writable } from 'node:stream';
import { enableMessageContext, messageContextFor, withMessageContext } from '@bridge/messaging';
import { JsonServiceLogger } from './service-logger';

/** A logger whose lines are kept, parsed. */
function capturing(levels: Array<'error' | 'warn' | 'log' | 'debug' | 'verbose'>) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: new JsonServiceLogger(levels, 'checker', sink), lines };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

enableMessageContext();

describe('JsonServiceLogger', () => {
  it('writes one JSON object per line with service, level, context and message', async () => {
    const { logger, lines } = capturing(['error', 'warn', 'log']);
    logger.log('ready', 'Bootstrap');
    logger.error('it broke', 'Error: it broke\n    at somewhere', 'CheckRunner');
    await flushed();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'checker',
        context: 'Bootstrap',
        msg: 'ready',
      }),
      expect.objectContaining({
        level: 'error',
        context: 'CheckRunner',
        msg: 'it broke',
        stack: 'Error: it broke\n    at somewhere',
      }),
    ]);
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('tells a stack from a context when an error comes with a stack only', async () => {
    const { logger, lines } = capturing(['error']);
    logger.error('failed', 'Error: failed\n    at start (main.ts:1:1)');
    await flushed();
    expect(lines[0]).toEqual(
      expect.objectContaining({
        msg: 'failed',
        stack: 'Error: failed\n    at start (main.ts:1:1)',
      }),
    );
    expect(lines[0]).not.toHaveProperty('context');
  });

  it('adds the event id, run id and trace of the message being handled', async () => {
    const { logger, lines } = capturing(['error', 'warn', 'log']);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const context = messageContextFor(
      [
        {
          topic: 'cappella.run.completed',
          partition: 2,
          offset: '41',
          key: null,
          value: null,
          headers: { traceparent },
        },
      ],
      'bridge.ingest',
      { event_id: 'evt-1', run_id: 'run-7' },
    );
    withMessageContext(context, () => logger.warn('component slow', 'CheckRunner'));
    logger.warn('between messages', 'CheckRunner');
    await flushed();
    expect(lines[0]).toEqual(
      expect.objectContaining({
        topic: 'cappella.run.completed',
        partition: 2,
        offset: '41',
        consumer_group: 'bridge.ingest',
        event_id: 'evt-1',
        run_id: 'run-7',
        trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      }),
    );
    expect(lines[1]).not.toHaveProperty('event_id');
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('drops levels above the configured one and the start-up chatter at log level', async () => {
    const { logger, lines } = capturing(['error', 'warn', 'log']);
    logger.debug('detail', 'CheckRunner');
    logger.log('InstanceLoader dependencies initialized', 'InstanceLoader');
    logger.log('kept', 'CheckRunner');
    await flushed();
    expect(lines.map((line) => line.msg)).toEqual(['kept']);
  });
});
