import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { type AuthenticatedRequest, type Principal, type PrincipalKind, SECURITY_SCHEMES } from './principal';

/** The principal types, for features that read the caller (they import auth through this file). */
export type { AuthenticatedRequest, Principal, PrincipalKind } from './principal';

export const AUTH_METADATA = 'agent-p2p:principals';

/**
 * Declares the principals a route accepts. The same declaration drives the global guard
 * (AuthGuard) and the route's OpenAPI `security` section, so the two cannot disagree.
 */
export function Auth(...kinds: [PrincipalKind, ...PrincipalKind[]]): MethodDecorator & ClassDecorator {
  const decorators: Array<MethodDecorator & ClassDecorator> = [SetMetadata(AUTH_METADATA, kinds)];
  if (kinds.includes('public')) return applyDecorators(...decorators);
  if (kinds.includes('agent')) {
    decorators.push(ApiSecurity(SECURITY_SCHEMES.ownerKey), ApiSecurity(SECURITY_SCHEMES.ownerKeyHeader));
  }
  if (kinds.includes('owner')) decorators.push(ApiSecurity(SECURITY_SCHEMES.session));
  if (kinds.includes('contact')) decorators.push(ApiSecurity(SECURITY_SCHEMES.contactKey));
  decorators.push(
    ApiUnauthorizedResponse({ description: 'No valid credential.', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: 'A valid credential of a kind this route does not accept.', type: ErrorResponseDto }),
  );
  return applyDecorators(...decorators);
}

/** The authenticated caller (undefined on public routes called without a credential). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | undefined => ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
