/**
 * `GET /health` of the simulator: up when the transport it publishes on is reachable. The
 * simulator has no store, so it does not use the services' runtime health check.
 */
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { TransportHealth } from '@bridge/messaging';

@Controller('health')
export class SimHealthController {
  constructor(private readonly transport: TransportHealth) {}

  @Get()
  async check(): Promise<{ status: 'ok'; service: 'component-sim'; transport: string }> {
    const body = {
      status: 'ok' as const,
      service: 'component-sim' as const,
      transport: this.transport.kind,
    };
    if (!(await this.transport.isReachable())) {
      throw new ServiceUnavailableException({ ...body, status: 'down' });
    }
    return body;
  }
}
