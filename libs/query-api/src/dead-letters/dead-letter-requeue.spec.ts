import { isRequeueTarget } from './dead-letter-requeue';

describe('isRequeueTarget', () => {
  it("sends only to Bridge's own topics, never the dead-letter topic or another topic of the cluster", () => {
    expect(isRequeueTarget('cappella.run.completed')).toBe(true);
    expect(isRequeueTarget('bridge.internal.checks')).toBe(true);
    expect(isRequeueTarget('bridge.dlq.events')).toBe(false);
    expect(isRequeueTarget('__consumer_offsets')).toBe(false);
    expect(isRequeueTarget('payments.ledger')).toBe(false);
  });
});
