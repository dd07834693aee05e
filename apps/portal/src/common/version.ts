/**
 * The federation protocol version this Portal speaks (in /.well-known/agent-p2p). 2: every
 * Portal-to-Portal call is signed with the Portal's identity key (RFC 9421, Ed25519); a Portal of
 * version 1 is refused with a message naming both versions.
 */
export const PROTOCOL_VERSION = 2;

/** The product version, kept in step with package.json by the release process. */
export const PORTAL_VERSION = '0.1.0';
