export {
  COMPONENTS,
  DEFAULT_DECODE_LIMITS,
  loadConfig,
  type ApiAuthConfig,
  type ApiRole,
  type ApiTokenEntry,
  type BridgeConfig,
  type ChecksConfig,
  type RecheckConfig,
  type ComponentManifest,
  type ComponentName,
  type DecodeLimits,
  type HttpConfig,
  type OutboxConfig,
  type KafkaTransportConfig,
  type RepairConfig,
  type ScanConfig,
  type RetryConfig,
  type StoreConfig,
  type TransportConfig,
} from './bridge-config';
export { BRIDGE_CONFIG, ConfigModule } from './config.module';
export { Secret, type ComponentAuth } from './component-auth';
