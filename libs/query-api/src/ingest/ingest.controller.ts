/**
 * `POST /ingest/{topic}`: HTTP ingestion for components that do not speak Kafka (see
 * `HttpIngestion` in `@bridge/ingest`). Only a `producer` token may call it: a component's
 * credential reads nothing, and a reader or admin does not hand in events as a component.
 *
 * 200 with an outcome per record (accepted, duplicate, or refused with a 400 or 413 reason
 * naming the field) whenever the request itself was readable; 400 or 413 for a request that is
 * not `{ "records": [...] }` within the limits; 404 for a topic that is not inbound; 503 when
 * the broker or the database failed and nothing was accepted.
 */
import { Body, HttpCode, HttpException, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam } from '@nestjs/swagger';
import { INBOUND_TOPICS } from '@bridge/contracts';
import { HttpIngestion, IngestRequestError, type IngestAnswer } from '@bridge/ingest';
import { RequiresRole, type AuthenticatedRequest } from '../auth/api-auth.guard';
import { QueryApiController } from '../query-api-controller';

@QueryApiController('ingest', 'ingest')
export class IngestController {
  constructor(private readonly ingestion: HttpIngestion) {}

  @Post(':topic')
  @HttpCode(200)
  @RequiresRole('producer')
  @ApiOperation({
    summary: 'Hand in events for an inbound topic (producer role)',
    description:
      'Each record is validated against the topic’s Avro schema (as JSON: longs as numbers, optional fields as null or a value) and held to the size limits of a Kafka record; the ones admitted are produced to the topic, keyed as a component would key them. Idempotent by event_id: a record already accepted answers duplicate and is not produced again. The answer lists every record in order.',
  })
  @ApiParam({ name: 'topic', enum: INBOUND_TOPICS })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['records'],
      properties: { records: { type: 'array', items: { type: 'object' } } },
    },
  })
  async ingest(
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
  ): Promise<IngestAnswer> {
    try {
      return await this.ingestion.submit(topic, body, request.principal.name);
    } catch (error) {
      if (error instanceof IngestRequestError) {
        throw new HttpException(
          {
            statusCode: error.httpStatus,
            error: error.httpStatus === 413 ? 'Payload Too Large' : 'Bad Request',
            message: error.message,
          },
          error.httpStatus,
        );
      }
      throw error;
    }
  }
}
