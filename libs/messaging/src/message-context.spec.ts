import {
  currentMessageContext,
  enableMessageContext,
  messageContextFor,
  outgoingTraceHeaders,
  traceIdOf,
  withMessageContext,
} from './message-context';
import type { RawMessage } from './raw-message';

const message = (offset: string, headers?: Record<string, string>): RawMessage => ({
  topic: 'bridge.internal.checks',
  partition: 1,
  offset,
  key: null,
  value: null,
  headers,
});

enableMessageContext();

describe('message context', () => {
  it('continues the trace of the message and hands it on as the parent of what is published', () => {
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const context = messageContextFor([message('5', { traceparent: incoming })], 'bridge.checker');
    expect(context.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
    const headers = withMessageContext(context, () => outgoingTraceHeaders());
    expect(headers).toEqual({
      traceparent: `00-0af7651916cd43dd8448eb211c80319c-${context.span_id}-01`,
    });
    expect(outgoingTraceHeaders()).toBeUndefined();
  });

  it('starts a new trace for a message without a valid traceparent', () => {
    const first = messageContextFor([message('1', { traceparent: 'garbage' })], 'g');
    const second = messageContextFor([message('2')], 'g');
    expect(first.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(second.trace_id).not.toBe(first.trace_id);
  });

  it('continues a trace shared by a whole batch, and starts one for a batch of several traces', () => {
    const a = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const b = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const same = messageContextFor(
      [message('1', { traceparent: a }), message('2', { traceparent: a })],
      'g',
    );
    expect(same.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
    const mixed = messageContextFor(
      [message('1', { traceparent: a }), message('2', { traceparent: b })],
      'g',
    );
    expect(mixed.trace_id).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(mixed.trace_id).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('describes a batch by its offset range and size, and an event by its ids', () => {
    expect(messageContextFor([message('3'), message('4'), message('9')], 'g')).toEqual(
      expect.objectContaining({ offset: '3-9', batch_size: 3 }),
    );
    expect(messageContextFor([message('3')], 'g', { event_id: 'e', run_id: 'r' })).toEqual(
      expect.objectContaining({ offset: '3', event_id: 'e', run_id: 'r' }),
    );
  });

  it('keeps the context through awaits and only inside the work', async () => {
    const context = messageContextFor([message('7')], 'g');
    await withMessageContext(context, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(currentMessageContext()?.offset).toBe('7');
    });
    expect(currentMessageContext()).toBeUndefined();
  });

  it('rejects an all-zero or malformed trace id', () => {
    expect(traceIdOf(`00-${'0'.repeat(32)}-b7ad6b7169203331-01`)).toBeNull();
    expect(traceIdOf('00-xyz-b7ad6b7169203331-01')).toBeNull();
    expect(traceIdOf(undefined)).toBeNull();
  });
});
