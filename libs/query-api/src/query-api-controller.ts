/**
 * What makes a controller part of the query API: its routes under `API_PREFIX` (rate-limited
 * there, see `api-http.ts`), behind `ApiAuthGuard` (reader by default), admin actions recorded
 * in the audit log (`AdminAuditInterceptor`), answered on error by `ApiErrorFilter`, and listed
 * in the OpenAPI document under a tag with bearer auth. One decorator, so no route can miss a
 * part.
 */
import {
  applyDecorators,
  Controller,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrorFilter } from './api-error.filter';
import { AdminAuditInterceptor } from './audit/admin-audit.interceptor';
import { API_PREFIX } from './api-prefix';
import { ApiAuthGuard } from './auth/api-auth.guard';

/** @param path below `API_PREFIX` ('' for the prefix itself). */
export function QueryApiController(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    Controller(path ? `${API_PREFIX}/${path}` : API_PREFIX),
    UseGuards(ApiAuthGuard),
    UseInterceptors(AdminAuditInterceptor),
    UseFilters(ApiErrorFilter),
  );
}
