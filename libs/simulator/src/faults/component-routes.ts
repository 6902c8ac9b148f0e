/**
 * The component endpoints as a lookup table, built once from the controllers' route metadata:
 * given a request's method and path, which component it addresses and which endpoint
 * (e.g. `"GET /hippo/entities/:type/:externalId"`), for the hit counts.
 *
 * Derived from the controllers rather than listed by hand, so it cannot drift from the routes;
 * matching is a split and a few segment comparisons, cheap enough for every request.
 */
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { COMPONENTS, type ComponentName } from '@bridge/config';

export interface ComponentRoute {
  component: ComponentName;
  /** `"<METHOD> <path pattern>"`. */
  label: string;
}

interface RoutePattern extends ComponentRoute {
  method: string;
  /** Literal segments, null where the pattern has a parameter. */
  segments: Array<string | null>;
}

const trimSlashes = (path: string) => path.replace(/^\/+|\/+$/g, '');

export class ComponentRoutes {
  private readonly patterns: RoutePattern[] = [];

  /** @param controllers controllers whose class path is a component name (`cappella`…). */
  constructor(controllers: readonly Type[]) {
    const reflector = new Reflector();
    for (const controller of controllers) {
      const prefix = trimSlashes(reflector.get<string>(PATH_METADATA, controller) ?? '');
      const component = COMPONENTS.find((name) => name === prefix);
      if (!component) throw new Error(`${controller.name} is not a component controller`);
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
        if (method === undefined) continue;
        const suffix = trimSlashes(reflector.get<string>(PATH_METADATA, handler) ?? '');
        const path = suffix === '' ? `/${prefix}` : `/${prefix}/${suffix}`;
        this.patterns.push({
          component,
          method: RequestMethod[method],
          label: `${RequestMethod[method]} ${path}`,
          segments: path
            .split('/')
            .slice(1)
            .map((segment) => (segment.startsWith(':') ? null : segment)),
        });
      }
    }
  }

  /** The route a request addresses, or undefined when it matches none. */
  match(method: string, path: string): ComponentRoute | undefined {
    const segments = trimSlashes(path).split('/');
    for (const pattern of this.patterns) {
      if (pattern.method !== method || pattern.segments.length !== segments.length) continue;
      let matches = true;
      for (let i = 0; i < segments.length && matches; i += 1) {
        const literal = pattern.segments[i];
        matches = literal === null || literal === segments[i];
      }
      if (matches) return pattern;
    }
    return undefined;
  }
}
