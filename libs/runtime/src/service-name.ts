/** Injection token naming the running service (ingest, checker, …), for logs and health. */
export const SERVICE_NAME = Symbol('ServiceName');
