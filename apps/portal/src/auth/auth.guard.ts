import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTH_METADATA } from './auth.decorator';
import { CredentialsService } from './credentials.service';
import { type AuthenticatedRequest, CSRF_HEADER, CSRF_HEADER_VALUE, type PrincipalKind } from './principal';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The one global guard: enforces what each route declared with @Auth(). Routes that declared nothing are refused. */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly credentials: CredentialsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const kinds = this.reflector.getAllAndOverride<PrincipalKind[] | undefined>(AUTH_METADATA, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    if (!kinds) {
      this.logger.error(`Route ${request.method} ${request.routeOptions.url} declares no principals; refusing it`);
      throw new ForbiddenException('This route is not available');
    }
    const credential = this.credentials.extract(request.headers);
    if (kinds.includes('public')) {
      if (credential) request.principal = (await this.credentials.resolve(credential)) ?? undefined;
      return true;
    }
    if (!credential) {
      throw new UnauthorizedException(
        'Authentication required: send an owner key as "Authorization: Bearer ap2p_o_…" or log in to the console',
      );
    }
    const principal = await this.credentials.resolve(credential);
    if (!principal) throw new UnauthorizedException('Invalid, expired or revoked credential');
    if (!kinds.includes(principal.kind)) {
      throw new ForbiddenException(`This route does not accept ${describe(principal.kind)}`);
    }
    if (principal.kind === 'owner' && !SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE) {
      throw new ForbiddenException(`Console requests that change data must send the header "X-Requested-With: ${CSRF_HEADER_VALUE}"`);
    }
    request.principal = principal;
    return true;
  }
}

function describe(kind: PrincipalKind): string {
  switch (kind) {
    case 'owner':
      return 'a console session';
    case 'agent':
      return 'an owner key';
    case 'contact':
      return 'a contact key';
    default:
      return 'this credential';
  }
}
