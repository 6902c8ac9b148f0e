/**
 * How the query API answers an error: Nest's own HTTP errors (a 400 from validation, 401, 403,
 * a body too large or not JSON) as they are; Bridge's errors by their class (`NotFoundError`
 * 404, `StateConflictError` 409, naming the scan in progress when that is the conflict, other
 * permanent errors 400, `InfrastructureUnavailableError` 503 with `Retry-After`: the request
 * may be sent again); anything else 500 with nothing of its internals, logged here. Every
 * answer has the same shape: `{ statusCode, error, message }`.
 */
import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  InfrastructureUnavailableError,
  InvalidRecordError,
  NotFoundError,
  PermanentError,
  ScanInProgressError,
  StateConflictError,
} from '@bridge/errors';

/** What a 503 asks the client to wait: a broker or database back within seconds is usual. */
const RETRY_AFTER_SECONDS = 5;

/** The status and body an error is answered with. */
export function errorAnswer(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const body =
      typeof response === 'object'
        ? (response as Record<string, unknown>)
        : { statusCode: error.getStatus(), message: response };
    return { status: error.getStatus(), body };
  }
  const answer = (status: number, error: string, message: string, extra = {}) => ({
    status,
    body: { statusCode: status, error, message, ...extra },
  });
  if (error instanceof NotFoundError) return answer(404, 'Not Found', error.message);
  if (error instanceof ScanInProgressError) {
    return answer(409, 'Conflict', error.message, { scan_id: error.scanId });
  }
  if (error instanceof StateConflictError) return answer(409, 'Conflict', error.message);
  if (error instanceof PermanentError && !(error instanceof InvalidRecordError)) {
    return answer(400, 'Bad Request', error.message);
  }
  if (error instanceof InfrastructureUnavailableError) {
    return answer(503, 'Service Unavailable', error.message);
  }
  return answer(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error', 'internal error');
}

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(error: unknown, host: ArgumentsHost): void {
    const { status, body } = errorAnswer(error);
    const response = host.switchToHttp().getResponse<Response>();
    if (status === 503) {
      this.logger.warn(String(body.message));
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    } else if (status >= 500) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    response.status(status).json(body);
  }
}
