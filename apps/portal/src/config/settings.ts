import type { QuietHours } from '../common/quiet-hours';
import type { CaFile } from './ca-file';
/** The Portal's settings as the code uses them; config/variables.ts declares the PORTAL_* variables they come from. */

/** Log levels accepted by PORTAL_LOG_LEVEL (pino's names). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Owner keys: `ap2p_o_` followed by at least 43 URL-safe characters (≥ 256 bits). */
export const OWNER_KEY_PATTERN = /^ap2p_o_[A-Za-z0-9_-]{43,}$/;

export interface PortalLimits {
  /** Largest JSON request body accepted, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Failed console logins allowed per client address within loginWindowSeconds (429 beyond). */
  loginMaxAttempts: number;
  loginWindowSeconds: number;
  /** Password checks (logins, password changes) running at once; more get 429 at once. */
  loginMaxConcurrent: number;
  /** Lifetime of a console session, in hours. */
  sessionTtlHours: number;
  /** /health reports "degraded" (503) when the data directory's disk has less free space. */
  minFreeDiskBytes: number;
  /** Largest message content, in bytes of UTF-8. */
  maxMessageBytes: number;
  /** Federation requests accepted from one contact per minute (429 beyond). */
  contactRequestsPerMinute: number;
  /** Unauthenticated requests (contact requests, guestbook) per client address per minute. */
  publicRequestsPerMinute: number;
  /** Contact requests from one Portal that may wait for the owner at once. */
  pendingRequestsPerPortal: number;
  /** A received contact request its sender has not confirmed within this time ends invalid. */
  requestVerifyTimeoutSeconds: number;
  /** A delivered message not seen by the contact within this time gives one message.unconfirmed event. */
  receiptUnconfirmedSeconds: number;
  /** Invalid contact requests are deleted this long after they ended. */
  invalidRequestRetentionHours: number;
  /** Guestbook posts accepted per client address within guestbookWindowSeconds (429 beyond). */
  guestbookMaxPosts: number;
  guestbookWindowSeconds: number;
  /** Longest guestbook message, in characters (413 beyond). */
  guestbookMaxMessageChars: number;
}

export interface IdentitySettings {
  /** Clock difference allowed when checking a signed call's created and expires. */
  clockSkewSeconds: number;
}

export interface PeerSettings {
  /** Allow http:// peers (tests, local demos). */
  allowInsecure: boolean;
  /** Allow peers that resolve to loopback, private or link-local addresses. */
  allowPrivate: boolean;
  /** PORTAL_CA_FILE: extra certificate authorities (PEM blocks) trusted for https peers, besides the public roots; undefined: none. */
  extraCa?: CaFile;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
}

export interface OutboxSettings {
  /** First retry delay; doubles per attempt (with jitter) up to retryMaxSeconds. */
  retryBaseMs: number;
  retryMaxSeconds: number;
  /** A delivery still failing after this many days is given up (failed). */
  giveUpDays: number;
  /** Peers delivered to at the same time (one slow peer occupies one slot only). */
  concurrency: number;
  /** An item's lease while it is delivered, renewed while the call runs: a crashed instance's items are free after this. */
  leaseSeconds: number;
  /** A peer that has been failing for longer is probed this often with a cheap request; an answer resumes its queue at once. */
  probeSeconds: number;
  /** A parked item (the peer has no room) is tried again after parkRetrySeconds, doubling up to parkRetryMaxSeconds. */
  parkRetrySeconds: number;
  parkRetryMaxSeconds: number;
  /** Most messages to one contact sent in one call, and most bytes of their contents. */
  batchItems: number;
  batchBytes: number;
  /** The lane of calls that requests from unapproved Portals cause (contact verification). */
  strangers: {
    /** Such peers called at the same time (at most one per origin), apart from `concurrency`. */
    concurrency: number;
    /** Total timeout of one such call. */
    timeoutMs: number;
    /** Attempts after which such an item fails. */
    maxAttempts: number;
    /** Age after which such an item fails. */
    giveUpMinutes: number;
  };
}

export interface PortalWebSocketSettings {
  /** The server pings every socket this often and drops one that did not answer the previous ping. */
  heartbeatSeconds: number;
  /** Largest frame a client may send, in bytes (the socket is closed with 1009 beyond). */
  maxFrameBytes: number;
  /** Open sockets allowed per owner key or console session. */
  maxSocketsPerCredential: number;
  /** A socket whose unsent data stays above this many bytes is a slow client: sending pauses, then it is closed with 1013. */
  maxBufferedBytes: number;
}

export interface ServerSettings {
  /** A request whose headers and body have not fully arrived after this long is answered 408 and its connection closed. */
  requestTimeoutMs: number;
  /** A request whose headers have not fully arrived after this long is answered 408 and its connection closed. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Open connections (HTTP and WebSocket) at once; beyond, new connections are closed at once. */
  maxConnections: number;
}

export interface FileSettings {
  /** Largest file accepted, in bytes (413 beyond). */
  maxFileBytes: number;
  /** Chunk size this Portal asks uploaders to use (the last chunk may be shorter). */
  chunkBytes: number;
  /** Smallest chunk size a contact may offer a file in (a file of one chunk may be smaller). */
  minChunkBytes: number;
  /** Most chunks one file may have, on uploads and offers. */
  maxChunksPerFile: number;
  /** Bytes of files (both directions) one contact may occupy on this Portal's disk (507 beyond). */
  contactQuotaBytes: number;
  /** An upload (ours or a peer's) with no progress for this long is removed. */
  incompleteExpireHours: number;
  /** The content of a file we sent is removed this long after the peer confirmed it. */
  sentRetentionHours: number;
  /** How often expired uploads and delivered copies are looked for. */
  sweepIntervalSeconds: number;
}

/** Governance: what stands between a received message and a wake of the agent (governance/). */
export interface GovernanceSettings {
  /** Woken turns per window for a bounded contact. */
  boundedTurns: number;
  /** Woken turns per window for an extended contact. */
  extendedTurns: number;
  /** The budget's sliding window, in seconds. */
  budgetWindowSeconds: number;
  /** A run of messages from one contact wakes once no new one came for this long… */
  coalesceQuietMs: number;
  /** …or once its first message waited this long… */
  coalesceMaxMs: number;
  /** …or once it holds this many messages (the rest form the next turn). */
  maxMessagesPerWake: number;
  /** When wakes wait (the owner chat still wakes); null: never. */
  quietHours: QuietHours | null;
  /** The owner's time zone (IANA name) quiet hours are read in. */
  timeZone: string;
}

export interface PortalConfig {
  port: number;
  host: string;
  /** This Portal's identity: the URL peers use to reach it. */
  publicUrl: string;
  dataDir: string;
  /** Empty: SQLite in the data directory. Otherwise a postgres:// URL. */
  databaseUrl: string;
  logLevel: LogLevel;
  /** Seeds the first owner key on the first start (never stored in plaintext). */
  initialOwnerKey?: string;
  /** Seeds the console password on the first start. */
  initialConsolePassword?: string;
  /** Profile used on the first start. */
  initialAgentName: string;
  initialOwnerName: string;
  /** Trust X-Forwarded-* headers (only behind a reverse proxy). */
  trustProxy: boolean;
  /** 32-byte key (base64url) encrypting contact keys at rest; empty: a key file in the data dir. */
  secretKey?: string;
  /** PORTAL_IDENTITY_KEY: the identity key given by configuration (else the Portal keeps its own). */
  identityKey?: string;
  identity: IdentitySettings;
  /** The built console and homepage (apps/console/dist); undefined: found next to the Portal. */
  consoleDir?: string;
  /** This instance's name among several on one database (outbox leases); undefined: one made at start. */
  instanceId?: string;
  limits: PortalLimits;
  peers: PeerSettings;
  outbox: OutboxSettings;
  ws: PortalWebSocketSettings;
  files: FileSettings;
  server: ServerSettings;
  governance: GovernanceSettings;
}
