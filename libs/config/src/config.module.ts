/**
 * Nest wiring for the configuration: validates the environment once and provides the typed
 * `BridgeConfig` to every module of the process under the `BridgeConfig` token.
 */
import { Global, Module } from '@nestjs/common';
import type { BridgeConfig } from './bridge-config';
import { loadConfig } from './load-config';

export const BRIDGE_CONFIG = Symbol('BridgeConfig');

@Global()
@Module({})
export class ConfigModule {
  /** `config` lets tests and the all-in-one process pass an already-built configuration. */
  static forRoot(config?: BridgeConfig) {
    return {
      module: ConfigModule,
      providers: [{ provide: BRIDGE_CONFIG, useFactory: () => config ?? loadConfig() }],
      exports: [BRIDGE_CONFIG],
    };
  }
}
