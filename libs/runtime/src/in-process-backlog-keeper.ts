/**
 * Carries the in-process bus's unfinished work across a restart of an embedded process: on a
 * graceful stop, after the consumers stopped, what each group still held is saved in the store;
 * at the next start it is handed back to the same group. Only the in-process transport needs
 * it; on Kafka the broker keeps whatever was not committed.
 */
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { BridgeTransportServer, TRANSPORT, type Transport } from '@bridge/messaging';
import { InProcessBacklog } from '@bridge/store';

@Injectable()
export class InProcessBacklogKeeper implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('InProcessBacklog');

  constructor(
    @Inject(TRANSPORT) private readonly transport: Transport,
    private readonly server: BridgeTransportServer,
    private readonly backlog: InProcessBacklog,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.transport.kind !== 'in-process') return;
    let restored = 0;
    for (const { groupId, messages } of await this.backlog.takeAll()) {
      // Bus offsets start again at every start; these keep no position of their own.
      this.transport.bus.restore(
        groupId,
        messages.map((message) => ({ ...message, partition: 0, offset: '-1' })),
      );
      restored += messages.length;
    }
    if (restored > 0) this.logger.log(`resumed ${restored} event(s) queued before the last stop`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.transport.kind !== 'in-process') return;
    // The consumers must have stopped (after finishing what they could) before we look.
    await this.server.close();
    const saved = await this.backlog.save(
      this.transport.bus.takeLeftovers().map(({ groupId, messages }) => ({
        groupId,
        messages: messages.map(({ topic, key, value }) => ({ topic, key, value })),
      })),
    );
    if (saved > 0) this.logger.log(`kept ${saved} queued event(s) for the next start`);
  }
}
