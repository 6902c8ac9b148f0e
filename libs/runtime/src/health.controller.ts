/**
 * `GET /health` for every service: up when the store answers and the transport (Kafka broker
 * or in-process bus) is reachable; 503 with the failing part named otherwise.
 */
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { TransportHealth } from '@bridge/messaging';
import { StoreHealth } from '@bridge/store';
import { SERVICE_NAME } from './service-name';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly store: StoreHealth,
    private readonly transport: TransportHealth,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      async () => {
        const session = this.indicators.check('store');
        return (await this.store.isReachable())
          ? session.up()
          : session.down('database unreachable');
      },
      async () => {
        const session = this.indicators.check('transport');
        const details = { kind: this.transport.kind, service: this.service };
        return (await this.transport.isReachable()) ? session.up(details) : session.down(details);
      },
    ]);
  }
}
