import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Post, Put, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { ErrorResponseDto } from '../common/error-response.dto';
import { Auth, CurrentPrincipal } from './auth.decorator';
import { SessionCreateDto, SessionPasswordUpdateDto, SessionResponseDto } from './dto/session.dto';
import type { ConsoleSession } from './entities/console-session.entity';
import { readCookie } from './credentials.service';
import { CSRF_HEADER_VALUE, DEVICE_COOKIE, type Principal, SESSION_COOKIE } from './principal';
import { SessionService } from './session.service';

@ApiTags('session')
@Controller('api/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionService,
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @Auth('public')
  @ApiOperation({
    summary: 'Log in to the console',
    description:
      'Sets an HttpOnly, SameSite=Strict session cookie, and a login-device cookie: a browser that sends it back ' +
      "has its own budget of failed attempts instead of its address's.",
  })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiTooManyRequestsResponse({
    description: 'Too many failed attempts from this address (or login device), or too many password checks at once.',
    type: ErrorResponseDto,
  })
  async createSession(
    @Body() body: SessionCreateDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionResponseDto> {
    const device = readCookie(request.headers.cookie, DEVICE_COOKIE);
    const userAgent = String(request.headers['user-agent'] ?? '');
    const { session, token, deviceToken } = await this.sessions.login(body.password, request.ip, device, userAgent);
    reply.header('set-cookie', [
      this.cookie(token, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)),
      `${DEVICE_COOKIE}=${deviceToken}; Path=/api/session; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_COOKIE_MAX_AGE}${this.secure()}`,
    ]);
    return toResponse(session);
  }

  @Get()
  @Auth('owner')
  @ApiOperation({ summary: 'The current console session' })
  @ApiOkResponse({ type: SessionResponseDto })
  async getSession(@CurrentPrincipal() principal: Principal): Promise<SessionResponseDto> {
    const session = principal.kind === 'owner' ? await this.sessions.get(principal.sessionId) : null;
    if (!session) throw new NotFoundException('No session');
    return toResponse(session);
  }

  @Delete()
  @HttpCode(204)
  @Auth('owner')
  @ApiOperation({ summary: 'Log out of the console' })
  @ApiNoContentResponse()
  async deleteSession(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    if (principal.kind === 'owner') await this.sessions.logout(principal.sessionId);
    reply.header('set-cookie', this.cookie('', 0));
  }

  @Put('password')
  @HttpCode(204)
  @Auth('owner')
  @ApiOperation({
    summary: 'Change the console password',
    description: 'Ends every other console session. Wrong current passwords are limited per session like failed logins.',
  })
  @ApiNoContentResponse()
  @ApiTooManyRequestsResponse({
    description: 'Too many wrong current passwords, or too many password checks at once.',
    type: ErrorResponseDto,
  })
  async updateSessionPassword(@CurrentPrincipal() principal: Principal, @Body() body: SessionPasswordUpdateDto): Promise<void> {
    if (principal.kind !== 'owner') return;
    await this.sessions.changePassword(principal.sessionId, body.currentPassword, body.newPassword);
  }

  private cookie(token: string, maxAgeSeconds: number): string {
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, maxAgeSeconds)}${this.secure()}`;
  }

  private secure(): string {
    return this.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  }
}

/** A login device is remembered for a year (it is re-issued on every login). */
const DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600;

function toResponse(session: ConsoleSession): SessionResponseDto {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    csrfHeader: { 'X-Requested-With': CSRF_HEADER_VALUE },
  };
}
