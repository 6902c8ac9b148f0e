/**
 * The RPC context a `@ConsumeEvents` handler can take with `@Ctx()`: which topic the events came
 * from, and `keepAlive()` for long batches (it sends a Kafka heartbeat, so the group does not
 * evict a consumer that is busy rather than dead).
 */
import { BaseRpcContext } from '@nestjs/microservices';
import type { BatchContext } from '../event-bus';

export class BridgeEventContext extends BaseRpcContext<[string, string, BatchContext]> {
  constructor(topic: string, groupId: string, batch: BatchContext) {
    super([topic, groupId, batch]);
  }

  getTopic(): string {
    return this.args[0];
  }

  /** The consumer group, prefix included. */
  getGroupId(): string {
    return this.args[1];
  }

  keepAlive(): Promise<void> {
    return this.args[2].keepAlive();
  }
}
