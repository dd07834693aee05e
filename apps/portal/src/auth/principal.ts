import type { PeerIdentity } from './peer-credentials.service';

/**
 * Who is calling. Every route declares which of these it accepts with @Auth().
 * - public:  anybody, no credential
 * - owner:   the human owner, through the console session cookie
 * - agent:   the agent (or any program) holding an owner key
 * - contact: a peer Portal holding the shared contact key (federation routes only)
 */
export type PrincipalKind = 'public' | 'owner' | 'agent' | 'contact';

export type Principal =
  | { kind: 'owner'; sessionId: string }
  | { kind: 'agent'; keyId: string }
  | { kind: 'contact'; contactId: number; contactStatus: string; contact: PeerIdentity };

/** What the guard attaches to the request. */
export interface AuthenticatedRequest {
  principal?: Principal;
}

/** OpenAPI security scheme names, one per way of authenticating. */
export const SECURITY_SCHEMES = {
  ownerKey: 'ownerKey',
  ownerKeyHeader: 'ownerKeyHeader',
  session: 'session',
  contactKey: 'contactKey',
} as const;

export const SESSION_COOKIE = 'ap2p_session';
/** Remembers a browser that logged in before, so its failed-login budget is its own (not its address's). */
export const DEVICE_COOKIE = 'ap2p_device';
/** Cookie-authenticated requests that change state must carry this header (CSRF defence). */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'agent-p2p';
