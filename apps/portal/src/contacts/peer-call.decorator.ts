import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata, UseGuards } from '@nestjs/common';
import type { ContactRef } from './contacts.service';
import { PEER_CALL_METADATA, type PeerCallOptions, PeerCallGuard, type PeerCallRequest } from './peer-call.guard';

/**
 * A federation route called by a contact: admits the caller (the per-contact rate limit, 429, and an
 * early retry of what we owe that peer) before the route's input is read, and makes the contact
 * available to @CurrentPeer(). Goes with @Auth('contact'). Usable by any feature whose module
 * imports ContactsModule.
 */
export function PeerCall(options: PeerCallOptions = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(PEER_CALL_METADATA, options), UseGuards(PeerCallGuard));
}

/** The contact calling a @PeerCall() route. */
export const CurrentPeer = createParamDecorator((_data: unknown, ctx: ExecutionContext): ContactRef => {
  const peer = ctx.switchToHttp().getRequest<PeerCallRequest>().peer;
  if (!peer) throw new Error('@CurrentPeer() used on a route without @PeerCall()');
  return peer;
});
