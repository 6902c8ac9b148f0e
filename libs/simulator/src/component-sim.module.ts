/**
 * The simulator's Nest module: the simulated Cappella, Hippo and Canon APIs, the admin API and
 * the scenario provider, over the messaging transport the Bridge configuration names.
 *
 * `forRoot` builds the standalone process (configuration, messaging and `/health` included);
 * `embedded` adds the simulator to a process that already provides configuration and messaging
 * (the all-in-one process, `npm start`). It has no store: the simulator keeps its world in memory.
 */
import {
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type Provider,
} from '@nestjs/common';
import { COMPONENTS, ConfigModule, type BridgeConfig } from '@bridge/config';
import { MessagingModule } from '@bridge/messaging';
import { ComponentAuthMiddleware } from './auth/component-auth.middleware';
import { ComponentAuthority } from './auth/component-authority';
import { OAuthTokenController } from './auth/oauth-token.controller';
import { SimAuthController } from './auth/sim-auth.controller';
import { ComponentGateMiddleware } from './faults/component-gate.middleware';
import { ComponentRoutes } from './faults/component-routes';
import { FaultInjector } from './faults/fault-injector';
import { HitCounter } from './faults/hit-counter';
import { CanonController } from './http/canon.controller';
import { CappellaController } from './http/cappella.controller';
import { SimHealthController } from './http/health.controller';
import { HippoController } from './http/hippo.controller';
import { SimAdminController } from './http/sim-admin.controller';
import { ComponentSimulator } from './scenario/component-simulator';
import { SIM_SETTINGS, type SimSettings } from './sim-config';
import { ComponentState } from './state/component-state';

/** The simulated components' APIs: every request to them passes authentication and faults first. */
const COMPONENT_CONTROLLERS = [CappellaController, HippoController, CanonController];
const CONTROLLERS = [
  ...COMPONENT_CONTROLLERS,
  SimAdminController,
  SimAuthController,
  OAuthTokenController,
];

function simProviders(settings: SimSettings): Provider[] {
  return [
    { provide: SIM_SETTINGS, useValue: settings },
    { provide: ComponentState, useFactory: () => new ComponentState() },
    { provide: HitCounter, useFactory: () => new HitCounter() },
    { provide: ComponentRoutes, useFactory: () => new ComponentRoutes(COMPONENT_CONTROLLERS) },
    { provide: ComponentAuthority, useFactory: () => new ComponentAuthority(settings.auth) },
    FaultInjector,
    ComponentSimulator,
  ];
}

@Module({})
export class ComponentSimModule implements NestModule {
  static forRoot(config: BridgeConfig, settings: SimSettings): DynamicModule {
    return {
      module: ComponentSimModule,
      imports: [ConfigModule.forRoot(config), MessagingModule],
      controllers: [...CONTROLLERS, SimHealthController],
      providers: simProviders(settings),
      exports: [ComponentSimulator, ComponentState],
    };
  }

  /** For a process whose root module already imports `ConfigModule` and `MessagingModule`. */
  static embedded(settings: SimSettings): DynamicModule {
    return {
      module: ComponentSimModule,
      controllers: CONTROLLERS,
      providers: simProviders(settings),
      exports: [ComponentSimulator, ComponentState],
    };
  }

  /**
   * Authentication (`SIM_AUTH`), then the fault gate, under each component's path prefix,
   * before Nest's routing.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(ComponentAuthMiddleware, ComponentGateMiddleware)
      .forRoutes(
        ...COMPONENTS.map((name) => ({ path: `${name}/*path`, method: RequestMethod.ALL })),
      );
  }
}
