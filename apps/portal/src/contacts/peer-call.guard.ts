import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedRequest } from '../auth/auth.decorator';
import type { ContactRef } from './contacts.service';
import { contactCaller, PeerAdmissionService } from './peer-admission.service';

export const PEER_CALL_METADATA = 'agent-p2p:peer-call';

export interface PeerCallOptions {
  /**
   * false: the caller is identified but not admitted (no rate count, no early retry of what we owe
   * it), for the call by which a peer removes us.
   */
  admit?: boolean;
}

/** What PeerCallGuard attaches to the request. */
export interface PeerCallRequest extends AuthenticatedRequest {
  peer?: ContactRef;
}

/**
 * Admits the contact behind a federation call (see PeerAdmissionService.admit) and attaches it to
 * the request for @CurrentPeer(). Runs after the global AuthGuard, so the route must also declare
 * @Auth('contact'). Use it through @PeerCall() (peer-call.decorator.ts).
 */
@Injectable()
export class PeerCallGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly admission: PeerAdmissionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const options = this.reflector.getAllAndOverride<PeerCallOptions | undefined>(PEER_CALL_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<PeerCallRequest>();
    const caller = contactCaller(request.principal);
    request.peer = options?.admit === false ? await this.admission.identify(caller) : await this.admission.admit(caller);
    return true;
  }
}
