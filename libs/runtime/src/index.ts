export {
  DEFAULT_PORTS,
  bootstrapService,
  exitOnFailure,
  runService,
  startConsumers,
  type ServiceModuleFactory,
  type ServiceName,
} from './bootstrap';
export { HealthController } from './health.controller';
export { MetricsController } from './metrics.controller';
export {
  JsonServiceLogger,
  ServiceLogger,
  logLevelsUpTo,
  serviceLoggerFor,
} from './service-logger';
export { SERVICE_NAME } from './service-name';
export { ServiceRuntimeModule } from './service-runtime.module';
export { WorkLoop, type WorkLoopOptions } from './work-loop';
export { ZodPipe } from './zod-pipe';
