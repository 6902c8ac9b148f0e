/**
 * What makes a controller part of the query API: its routes under `API_PREFIX` (rate-limited
 * there, see `api-http.ts`), behind `ApiAuthGuard` (reader by default), answered on error by
 * `ApiErrorFilter`, and listed in the OpenAPI document under a tag with bearer auth. One
 * decorator, so no route can miss a part.
 */
import { applyDecorators, Controller, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrorFilter } from './api-error.filter';
import { API_PREFIX } from './api-prefix';
import { ApiAuthGuard } from './auth/api-auth.guard';

/** @param path below `API_PREFIX` ('' for the prefix itself). */
export function QueryApiController(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    Controller(path ? `${API_PREFIX}/${path}` : API_PREFIX),
    UseGuards(ApiAuthGuard),
    UseFilters(ApiErrorFilter),
  );
}
