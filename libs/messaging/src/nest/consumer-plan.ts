/**
 * Turns the handlers a Nest application declared with `@ConsumeEvents` into consumer groups:
 * one subscription per group, with the topics of all its handlers. Pure, so the rules (one
 * handler per topic and group, one delivery mode per group) are unit-tested without a broker.
 */
import { isTopic, type Topic } from '@bridge/contracts';
import { ConfigError } from '@bridge/errors';
import { CONSUMER_EXTRAS_KEY, type ConsumerOptions } from './consume-events.decorator';

/** A handler as Nest registers it on the transport server. */
export interface DeclaredHandler<H> {
  pattern: string;
  handler: H;
  isEventHandler: boolean;
  extras: Record<string, unknown> | undefined;
}

export interface ConsumerPlan<H> {
  /** Group name without the deployment prefix. */
  group: string;
  topics: Topic[];
  options: ConsumerOptions;
  handlers: Map<Topic, H>;
}

export function planConsumers<H>(declared: readonly DeclaredHandler<H>[]): ConsumerPlan<H>[] {
  const plans = new Map<string, ConsumerPlan<H>>();
  const problems: string[] = [];
  for (const { pattern, handler, isEventHandler, extras } of declared) {
    const options = extras?.[CONSUMER_EXTRAS_KEY] as ConsumerOptions | undefined;
    if (!isEventHandler) {
      problems.push(`${pattern}: request-response handlers are not supported; use @ConsumeEvents`);
      continue;
    }
    if (!options) {
      problems.push(`${pattern}: declared without consumer options; use @ConsumeEvents`);
      continue;
    }
    if (!isTopic(pattern)) {
      problems.push(`${pattern}: not a topic of the event contracts`);
      continue;
    }
    const group = typeof options.group === 'function' ? options.group(pattern) : options.group;
    const plan = plans.get(group);
    if (!plan) {
      plans.set(group, {
        group,
        topics: [pattern],
        options,
        handlers: new Map([[pattern, handler]]),
      });
      continue;
    }
    if (plan.handlers.has(pattern)) {
      problems.push(`${pattern}: two handlers in consumer group ${group}`);
    } else if (!sameDelivery(plan.options, options)) {
      problems.push(
        `${pattern}: consumer group ${group} mixes delivery options (batch, batch size, delay, start)`,
      );
    } else {
      plan.topics.push(pattern);
      plan.handlers.set(pattern, handler);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid event handlers:\n  ${problems.join('\n  ')}`);
  }
  return [...plans.values()];
}

function sameDelivery(a: ConsumerOptions, b: ConsumerOptions): boolean {
  return (
    (a.batch ?? false) === (b.batch ?? false) &&
    a.maxBatchSize === b.maxBatchSize &&
    a.notBefore === b.notBefore &&
    (a.fromBeginning ?? true) === (b.fromBeginning ?? true)
  );
}
