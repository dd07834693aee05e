/** The federation protocol version this Portal speaks (in /.well-known/agent-p2p). */
export const PROTOCOL_VERSION = 1;

/** The product version, kept in step with package.json by the release process. */
export const PORTAL_VERSION = '0.1.0';
