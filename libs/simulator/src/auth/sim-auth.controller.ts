/**
 * The simulator's admin routes for component authentication (`/sim/auth`): what `SIM_AUTH`
 * requires and what happened so far (tokens issued, active, revoked; requests refused), and a
 * revocation of every issued token, so that a test can check that Bridge, refused, renews its
 * token once and repeats the call. Beside the other admin routes of `SimAdminController`.
 */
import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ComponentAuthority, type SimAuthStatus } from './component-authority';

@Controller('sim/auth')
export class SimAuthController {
  constructor(@Inject(ComponentAuthority) private readonly authority: ComponentAuthority) {}

  @Get()
  status(): SimAuthStatus {
    return this.authority.status();
  }

  @Post('revoke')
  @HttpCode(200)
  revoke(): { revoked: number } {
    return { revoked: this.authority.revokeAll() };
  }
}
