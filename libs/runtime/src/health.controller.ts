/**
 * Health endpoints of every service, for orchestrators and load balancers:
 *
 * - `GET /health/live`: the process serves HTTP. Restart it only when this fails.
 * - `GET /health/ready` (and `GET /health`): the service can do its work now: the store
 *   answers, and on Kafka the broker and the schema registry answer. 503 with the failing part
 *   named otherwise; it turns back to 200 by itself once the dependency is back, since the
 *   consumers hold their messages through an outage rather than lose them.
 */
import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { withinDeadline } from '@bridge/errors';
import { TransportHealth } from '@bridge/messaging';
import { StoreHealth } from '@bridge/store';
import { SERVICE_NAME } from './service-name';

/** A dependency that has not answered by then counts as down: readiness must answer quickly. */
const PROBE_TIMEOUT_MS = 2_000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly store: StoreHealth,
    private readonly transport: TransportHealth,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      () => this.indicators.check('process').up({ service: this.service, pid: process.pid }),
    ]);
  }

  @Get()
  @HealthCheck()
  check() {
    return this.ready();
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const checks: HealthIndicatorFunction[] = [
      this.probe('store', () => this.store.isReachable(), 'database unreachable'),
      this.probe('transport', () => this.transport.isReachable(), 'broker unreachable', {
        kind: this.transport.kind,
        service: this.service,
      }),
    ];
    if (this.transport.kind === 'kafka') {
      checks.push(
        this.probe(
          'registry',
          async () => (await this.transport.isRegistryReachable()) === true,
          'schema registry unreachable',
        ),
      );
    }
    return this.health.check(checks);
  }

  private probe(
    key: string,
    reachable: () => Promise<boolean>,
    problem: string,
    details: Record<string, string> = {},
  ): HealthIndicatorFunction {
    return async () => {
      const session = this.indicators.check(key);
      const answer = await withinDeadline(reachable(), PROBE_TIMEOUT_MS, key).catch(() => false);
      return answer ? session.up(details) : session.down({ ...details, message: problem });
    };
  }
}
