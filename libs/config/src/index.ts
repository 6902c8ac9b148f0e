export {
  type ApiAuthConfig,
  type ApiRole,
  type ApiTokenEntry,
  type BridgeConfig,
  type ChecksConfig,
  type HttpConfig,
  type KafkaTransportConfig,
  type OutboxConfig,
  type RecheckConfig,
  type RepairConfig,
  type RetentionConfig,
  type RetryConfig,
  type ScanConfig,
  type StoreConfig,
  type StoreMaintenanceConfig,
  type TransportConfig,
} from './bridge-config';
export { loadConfig } from './load-config';
export { COMPONENTS, type ComponentManifest, type ComponentName } from './component-manifest';
export { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './environment-schema';
export { renderSettingsReference } from './settings-reference';
export { BRIDGE_CONFIG, ConfigModule } from './config.module';
export { Secret, type ComponentAuth } from './component-auth';
