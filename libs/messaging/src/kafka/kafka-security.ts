/**
 * The TLS and SASL options of the kafkajs client, from the configuration (`KAFKA_SSL`,
 * `KAFKA_SSL_CA_FILE`, `KAFKA_SASL_*`). Pure. A SASL password travels only in these options,
 * never in a log line.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaTransportConfig } from '@bridge/config';

export function kafkaSecurityOptions(
  config: Pick<KafkaTransportConfig, 'ssl' | 'sasl'>,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (config.ssl) options.ssl = config.ssl.ca ? { ca: [config.ssl.ca] } : true;
  if (config.sasl) {
    const { mechanism, username, password } = config.sasl;
    options.sasl = { mechanism, username, password } as SASLOptions;
  }
  return options;
}
