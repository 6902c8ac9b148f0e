import { Topics } from '@bridge/contracts';
import { ConfigError } from '@bridge/errors';
import { CONSUMER_EXTRAS_KEY, type ConsumerOptions } from './consume-events.decorator';
import { planConsumers, type DeclaredHandler } from './consumer-plan';

const declared = (
  pattern: string,
  handler: string,
  options: ConsumerOptions | undefined,
  isEventHandler = true,
): DeclaredHandler<string> => ({
  pattern,
  handler,
  isEventHandler,
  extras: options ? { [CONSUMER_EXTRAS_KEY]: options } : {},
});

describe('planConsumers', () => {
  it('gathers the topics of one consumer group into one subscription, with a handler per topic', () => {
    const ingest: ConsumerOptions = { group: 'ingest', batch: true };
    const plans = planConsumers([
      declared(Topics.CappellaRunCompleted, 'completed', ingest),
      declared(Topics.CappellaRunFailed, 'failed', ingest),
      declared(Topics.BridgeInternalChecks, 'checks', { group: 'checker', batch: true }),
    ]);
    expect(plans.map((plan) => [plan.group, plan.topics])).toEqual([
      ['ingest', [Topics.CappellaRunCompleted, Topics.CappellaRunFailed]],
      ['checker', [Topics.BridgeInternalChecks]],
    ]);
    expect(plans[0].handlers.get(Topics.CappellaRunFailed)).toBe('failed');
  });

  it('gives each topic of one handler the group its function names', () => {
    const delayed: ConsumerOptions = {
      group: (topic) => (topic === Topics.BridgeInternalChecks ? 'checker' : 'checker-recheck'),
      batch: true,
    };
    const plans = planConsumers([
      declared(Topics.BridgeInternalChecks, 'checks', delayed),
      declared(Topics.BridgeInternalChecksRecheck, 'checks', delayed),
    ]);
    expect(plans.map((plan) => [plan.group, plan.topics])).toEqual([
      ['checker', [Topics.BridgeInternalChecks]],
      ['checker-recheck', [Topics.BridgeInternalChecksRecheck]],
    ]);
  });

  it('lets two groups consume the same topic independently', () => {
    const plans = planConsumers([
      declared(Topics.BridgeSyncMismatch, 'repair', { group: 'repair' }),
      declared(Topics.BridgeSyncMismatch, 'audit', { group: 'audit' }),
    ]);
    expect(plans.map((plan) => plan.handlers.get(Topics.BridgeSyncMismatch))).toEqual([
      'repair',
      'audit',
    ]);
  });

  it('refuses, naming each problem, what a consumer cannot be', () => {
    const call = () =>
      planConsumers([
        declared('not.a.topic', 'a', { group: 'g' }),
        declared(Topics.CappellaRunCompleted, 'b', undefined),
        declared(Topics.CappellaRunFailed, 'c', { group: 'g' }, false),
        declared(Topics.BridgeSyncOk, 'd', { group: 'h' }),
        declared(Topics.BridgeSyncOk, 'e', { group: 'h' }),
        declared(Topics.BridgeSyncRepaired, 'f', { group: 'h', batch: true }),
      ]);
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(/not\.a\.topic: not a topic/);
    expect(call).toThrow(/cappella\.run\.completed: declared without consumer options/);
    expect(call).toThrow(/cappella\.run\.failed: request-response handlers are not supported/);
    expect(call).toThrow(/bridge\.sync\.ok: two handlers in consumer group h/);
    expect(call).toThrow(/bridge\.sync\.repaired: consumer group h mixes delivery options/);
  });
});
