/**
 * `GET /whoami`: who the token belongs to and its role, so that a client (the operator
 * console) can log in with a token and show only the actions the role allows. The API still
 * refuses what the role does not allow, whatever a client shows.
 */
import { Get, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { QueryApiController } from '../query-api-controller';
import type { AuthenticatedRequest } from './api-auth.guard';

@QueryApiController('whoami', 'auth')
export class WhoAmIController {
  @Get()
  @ApiOperation({ summary: "The token's name and role (reader or admin)" })
  whoami(@Req() request: AuthenticatedRequest) {
    return { name: request.principal.name, role: request.principal.role };
  }
}
