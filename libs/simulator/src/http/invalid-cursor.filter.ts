/** Answers a listing cursor the simulator never issued with 400, as a component must. */
import {
  BadRequestException,
  Catch,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { InvalidCursorError } from '../state/change-log';

@Catch(InvalidCursorError)
export class InvalidCursorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(error: InvalidCursorError, host: ArgumentsHost): void {
    super.catch(new BadRequestException(error.message), host);
  }
}
