import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedRequest } from '../auth/auth.decorator';
import type { ContactRef } from './contacts.service';
import type { FastifyRequest } from 'fastify';
import { contactCaller, PeerAdmissionService } from './peer-admission.service';
import { PeerKeysService } from './peer-keys.service';

export const PEER_CALL_METADATA = 'agent-p2p:peer-call';

export interface PeerCallOptions {
  /**
   * false: the caller is identified but not admitted (no rate count, no early retry of what we owe
   * it), for the call by which a peer removes us.
   */
  admit?: boolean;
  /**
   * true: a call signed by the contact's previous key (before its last rotation) is accepted at any
   * time, not only in the grace period: the rotation notice itself, sent again after we followed it.
   */
  previousKey?: boolean;
}

/** What PeerCallGuard attaches to the request. */
export interface PeerCallRequest extends AuthenticatedRequest {
  peer?: ContactRef;
  /** The identity key that signed the call. */
  signedBy?: string;
}

/**
 * Checks that a federation call is signed by the identity key pinned for the contact whose key it
 * carries (PeerKeysService), admits that contact (see PeerAdmissionService.admit) and attaches it to
 * the request for @CurrentPeer(). Runs after the global AuthGuard, so the route must also declare
 * @Auth('contact'). Use it through @PeerCall() (peer-call.decorator.ts).
 */
@Injectable()
export class PeerCallGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly admission: PeerAdmissionService,
    private readonly peerKeys: PeerKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const options = this.reflector.getAllAndOverride<PeerCallOptions | undefined>(PEER_CALL_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<PeerCallRequest & FastifyRequest>();
    const caller = contactCaller(request.principal);
    // The contact key says which contact; the signature (its pinned identity key) proves it is its Portal.
    const contact = await this.admission.identify(caller);
    request.signedBy = await this.peerKeys.verifyContactCall(request, contact, { previousKeyAlways: options?.previousKey === true });
    request.peer = options?.admit === false ? contact : await this.admission.admit({ contactId: contact.id, contact });
    return true;
  }
}
