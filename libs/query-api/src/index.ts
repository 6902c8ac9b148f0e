/**
 * The query API: the REST API over the sync event log, repairs, scans and dead letters, its
 * authentication and audit log, the OpenAPI document and the operator console it serves. The
 * api service runs it on its own; `npm start` composes it with every other service.
 */
export { ApiModule } from './api.module';
export { API_JSON_BODY_LIMIT, INGEST_PATH, configureApiHttp } from './api-http';
export { API_PREFIX } from './api-prefix';
export { ApiCredentials, roleAllows, tokenDigest, type Principal } from './auth/api-credentials';
export { CONSOLE_PATH, consoleAssetsDir } from './console/operator-console';
export { OPENAPI_JSON_PATH, OPENAPI_PAGE_PATH } from './openapi';
export { ASYNCAPI_JSON_PATH } from './openapi';
export type { AuditEntryView } from './audit/audit-entry-view';
export type { ScanView } from './scans/scan-view';
// The controllers' types, for the compile-time contract with the console's wire types.
export type { AuditController } from './audit/audit.controller';
export type { DeadLettersController } from './dead-letters/dead-letters.controller';
export type { EventsController } from './events/events.controller';
export type { FindingActionsController } from './events/finding-actions.controller';
export type { RepairsController } from './repairs/repairs.controller';
export type { ScansController } from './scans/scans.controller';
export type { SummaryController } from './summary/summary.controller';
export type { WhoAmIController } from './auth/whoami.controller';
