/**
 * `GET /metrics` of every service: the process's Prometheus metrics (`@bridge/metrics`) in the
 * text exposition format, for a Prometheus scrape. It sits beside `/health`, outside the API's
 * authentication, as scrapers expect; expose the port only to the monitoring network.
 */
import { Controller, Get, Header } from '@nestjs/common';
import { metricsRegistry } from '@bridge/metrics';

@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', metricsRegistry.contentType)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
