import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import {
  InfrastructureUnavailableError,
  InvalidEventError,
  InvalidRecordError,
  NotFoundError,
  ScanInProgressError,
  StateConflictError,
} from '@bridge/errors';
import { errorAnswer } from './api-error.filter';

describe('errorAnswer', () => {
  it('answers Bridge errors by their class, and hides what it does not know', () => {
    expect(errorAnswer(new NotFoundError('no sync event x')).status).toBe(404);
    expect(errorAnswer(new StateConflictError('resolved already')).status).toBe(409);
    expect(errorAnswer(new ScanInProgressError('scan-1'))).toEqual({
      status: 409,
      body: {
        statusCode: 409,
        error: 'Conflict',
        message: 'scan scan-1 is already in progress',
        scan_id: 'scan-1',
      },
    });
    expect(errorAnswer(new InvalidEventError('bad')).status).toBe(400);
    expect(errorAnswer(new InvalidRecordError('row x broken')).status).toBe(500);
    expect(errorAnswer(new InfrastructureUnavailableError('broker down')).status).toBe(503);
    expect(errorAnswer(new Error('connection string postgres://secret'))).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error' },
    });
  });

  it('passes Nest’s own HTTP errors through', () => {
    expect(
      errorAnswer(new BadRequestException({ statusCode: 400, message: 'invalid query: limit' })),
    ).toEqual({
      status: 400,
      body: { statusCode: 400, message: 'invalid query: limit' },
    });
  });
});
