export {
  loadConfig,
  type BridgeConfig,
  type KafkaTransportConfig,
  type RetryConfig,
  type StoreConfig,
  type TransportConfig,
} from './bridge-config';
export { BRIDGE_CONFIG, ConfigModule } from './config.module';
