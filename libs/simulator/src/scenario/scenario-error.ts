/**
 * A scenario that cannot be carried out as asked (an unknown entity to delete, more missing
 * outputs than outputs, a run id already taken). The admin API answers it with 400 and the
 * message; direct callers (tests) get the exception.
 */
import {
  BadRequestException,
  Catch,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

export class ScenarioError extends Error {}

@Catch(ScenarioError)
export class ScenarioErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(error: ScenarioError, host: ArgumentsHost): void {
    super.catch(new BadRequestException(error.message), host);
  }
}
