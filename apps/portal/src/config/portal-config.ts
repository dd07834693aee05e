import { resolve } from 'node:path';

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
  /** Invalid contact requests are deleted this long after they ended. */
  invalidRequestRetentionHours: number;
  /** Guestbook posts accepted per client address within guestbookWindowSeconds (429 beyond). */
  guestbookMaxPosts: number;
  guestbookWindowSeconds: number;
  /** Longest guestbook message, in characters (413 beyond). */
  guestbookMaxMessageChars: number;
}

export interface PeerSettings {
  /** Allow http:// peers (tests, local demos). */
  allowInsecure: boolean;
  /** Allow peers that resolve to loopback, private or link-local addresses. */
  allowPrivate: boolean;
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
}

/** Every PORTAL_* variable the Portal reads, with its default and meaning (drives README and example.env checks). */
export const CONFIG_VARIABLES: Record<string, { default: string; description: string }> = {
  PORTAL_PORT: { default: '8080', description: 'TCP port to listen on.' },
  PORTAL_HOST: { default: '127.0.0.1', description: 'Address to listen on (0.0.0.0 in Docker).' },
  PORTAL_PUBLIC_URL: {
    default: 'http://<host>:<port>',
    description: "This Portal's identity: the URL peers reach it at (https in production).",
  },
  PORTAL_DATA_DIR: { default: './data', description: 'Directory for the SQLite database and files.' },
  PORTAL_DATABASE_URL: {
    default: '',
    description: 'Empty: SQLite in the data directory. postgres://user:pass@host:5432/db for PostgreSQL.',
  },
  PORTAL_LOG_LEVEL: { default: 'info', description: `One of ${LOG_LEVELS.join(', ')}.` },
  PORTAL_OWNER_KEY: {
    default: '',
    description: 'First start only: use this owner key (ap2p_o_ + 43 or more URL-safe characters) instead of a random one.',
  },
  PORTAL_CONSOLE_PASSWORD: {
    default: '',
    description: 'First start only: use this console password (at least 12 characters) instead of a random one.',
  },
  PORTAL_AGENT_NAME: { default: 'My agent', description: "First start only: the agent's display name." },
  PORTAL_OWNER_NAME: { default: '', description: "First start only: the owner's display name." },
  PORTAL_TRUST_PROXY: {
    default: 'false',
    description: 'true behind a reverse proxy, so client addresses come from X-Forwarded-For.',
  },
  PORTAL_MAX_BODY_BYTES: { default: '1048576', description: 'Largest JSON request body, in bytes (413 beyond).' },
  PORTAL_LOGIN_MAX_ATTEMPTS: {
    default: '10',
    description: 'Failed console logins allowed per client address in each window (429 beyond).',
  },
  PORTAL_LOGIN_WINDOW_SECONDS: { default: '900', description: 'Length of the login rate-limit window, in seconds.' },
  PORTAL_LOGIN_MAX_CONCURRENT: {
    default: '2',
    description:
      'Password checks (logins, password changes) run at the same time; more are refused with 429 at once, so a login flood cannot fill the worker threads.',
  },
  PORTAL_SESSION_TTL_HOURS: { default: '168', description: 'Lifetime of a console session, in hours.' },
  PORTAL_CONSOLE_DIR: {
    default: '',
    description: 'Directory of the built console and homepage. Empty: apps/console/dist of this installation.',
  },
  PORTAL_SECRET_KEY: {
    default: '',
    description:
      'Key (32 bytes, base64url) that encrypts contact keys at rest. Empty: generated once into <data dir>/secret.key. Set the same value on every instance sharing one PostgreSQL database.',
  },
  PORTAL_MAX_MESSAGE_BYTES: { default: '65536', description: 'Largest message content, in bytes (413 beyond).' },
  PORTAL_CONTACT_REQUESTS_PER_MINUTE: {
    default: '6000',
    description: 'Federation requests accepted from one contact per minute (429 beyond; the peer retries).',
  },
  PORTAL_PUBLIC_REQUESTS_PER_MINUTE: {
    default: '30',
    description: 'Unauthenticated writes (contact requests, guestbook) per client address per minute.',
  },
  PORTAL_PENDING_REQUESTS_PER_PORTAL: {
    default: '3',
    description: 'Contact requests from one Portal that may wait for the owner at the same time.',
  },
  PORTAL_CONTACT_VERIFY_TIMEOUT_SECONDS: {
    default: '300',
    description: 'A received contact request that the Portal it names has not confirmed within this time ends invalid.',
  },
  PORTAL_INVALID_REQUEST_RETENTION_HOURS: {
    default: '24',
    description: 'Invalid contact requests (never confirmed by their sender) are deleted this long after they ended.',
  },
  PORTAL_ALLOW_INSECURE_PEERS: { default: 'false', description: 'true allows http:// peers (tests, local demos only).' },
  PORTAL_ALLOW_PRIVATE_PEERS: {
    default: 'false',
    description: 'true allows peers on loopback, private and link-local addresses (tests, LANs).',
  },
  PORTAL_PEER_CONNECT_TIMEOUT_MS: { default: '5000', description: 'Connect timeout for calls to peers.' },
  PORTAL_PEER_TIMEOUT_MS: { default: '15000', description: 'Total timeout for one call to a peer.' },
  PORTAL_OUTBOX_RETRY_BASE_MS: {
    default: '2000',
    description: 'First retry delay of a failed delivery; doubles per attempt, with jitter.',
  },
  PORTAL_OUTBOX_RETRY_MAX_SECONDS: { default: '3600', description: 'Longest delay between two delivery attempts.' },
  PORTAL_OUTBOX_GIVE_UP_DAYS: { default: '7', description: 'Days after which an undeliverable item is marked failed.' },
  PORTAL_OUTBOX_CONCURRENCY: { default: '16', description: 'Peers delivered to in parallel.' },
  PORTAL_OUTBOX_LEASE_SECONDS: {
    default: '10',
    description:
      'Lease on an outbox item while an instance delivers it, renewed while the call runs; items of a crashed instance are taken over after this.',
  },
  PORTAL_OUTBOX_PROBE_SECONDS: {
    default: '15',
    description:
      'A contact that has been failing for longer than this is probed this often (GET /.well-known/agent-p2p); when it answers, its queue is retried at once.',
  },
  PORTAL_OUTBOX_BATCH_ITEMS: {
    default: '100',
    description: 'Most messages to one contact sent in one call (1 sends each alone; at most 100, what a Portal accepts).',
  },
  PORTAL_OUTBOX_BATCH_BYTES: {
    default: '262144',
    description: 'Most bytes of message content in one such call (a single larger message still goes alone).',
  },
  PORTAL_INSTANCE_ID: {
    default: '',
    description:
      'Name of this instance among several on one PostgreSQL database (letters, digits, . _ -). Set: a restarted instance frees its own outbox leases at once. Empty: a new name at every start.',
  },
  PORTAL_OUTBOX_STRANGER_CONCURRENCY: {
    default: '4',
    description:
      'Calls made because of an unapproved Portal (verifying its contact request) in parallel, one per origin; they never take the slots of PORTAL_OUTBOX_CONCURRENCY.',
  },
  PORTAL_OUTBOX_STRANGER_TIMEOUT_MS: { default: '5000', description: 'Total timeout of one call to an unapproved Portal.' },
  PORTAL_OUTBOX_STRANGER_MAX_ATTEMPTS: {
    default: '6',
    description: 'Attempts after which a call to an unapproved Portal fails (an unverifiable contact request becomes invalid).',
  },
  PORTAL_OUTBOX_STRANGER_GIVE_UP_MINUTES: {
    default: '60',
    description: 'Minutes after which a call to an unapproved Portal that still fails is given up.',
  },
  PORTAL_MIN_FREE_DISK_MB: {
    default: '100',
    description:
      'Below this much free disk in the data directory, /health answers 503 and file uploads that would go below it are refused with 507.',
  },
  PORTAL_MAX_FILE_BYTES: { default: '2147483648', description: 'Largest file sent or received, in bytes (413 beyond).' },
  PORTAL_FILE_CHUNK_BYTES: {
    default: '8388608',
    description: 'Chunk size uploads to this Portal use, in bytes (a bigger chunk is refused with 413).',
  },
  PORTAL_FILE_MIN_CHUNK_BYTES: {
    default: '262144',
    description:
      'Smallest chunk size a contact may offer a file in, in bytes (400 below; a file of one chunk may be smaller). At most PORTAL_FILE_CHUNK_BYTES.',
  },
  PORTAL_FILE_MAX_CHUNKS: {
    default: '16384',
    description: 'Most chunks one file may have (an offer with more is refused with 400, an upload with 413).',
  },
  PORTAL_CONTACT_FILE_QUOTA_BYTES: {
    default: '10737418240',
    description:
      'Disk space the files of one contact (sent and received) may occupy, in bytes (507 beyond); the owner chat\'s local files share one quota of the same size.',
  },
  PORTAL_FILE_INCOMPLETE_EXPIRE_HOURS: {
    default: '24',
    description: 'An unfinished upload or incoming transfer without progress for this many hours is deleted.',
  },
  PORTAL_FILE_SENT_RETENTION_HOURS: {
    default: '72',
    description: 'Hours the content of a sent file is kept after the contact confirmed it (0: removed at once).',
  },
  PORTAL_FILE_SWEEP_INTERVAL_SECONDS: {
    default: '600',
    description: 'How often expired uploads and delivered copies are looked for and removed.',
  },
  PORTAL_GUESTBOOK_MAX_POSTS: {
    default: '5',
    description: 'Guestbook posts accepted per client address in each window (429 beyond).',
  },
  PORTAL_GUESTBOOK_WINDOW_SECONDS: { default: '3600', description: 'Length of the guestbook rate-limit window, in seconds.' },
  PORTAL_GUESTBOOK_MAX_MESSAGE_CHARS: {
    default: '2000',
    description: 'Longest guestbook message, in characters (413 beyond).',
  },
  PORTAL_REQUEST_TIMEOUT_SECONDS: {
    default: '300',
    description:
      'A request (headers and body) not fully received after this many seconds is answered 408 and closed. The default lets an 8 MiB file chunk arrive at 28 KiB/s; raise it for slower links.',
  },
  PORTAL_HEADERS_TIMEOUT_SECONDS: {
    default: '30',
    description: 'A request whose headers are not complete after this many seconds is answered 408 and closed (slowloris).',
  },
  PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS: {
    default: '72',
    description: 'An idle keep-alive connection is closed after this many seconds (keep it above a reverse proxy\'s own idle timeout).',
  },
  PORTAL_MAX_CONNECTIONS: {
    default: '1024',
    description: 'Open connections (HTTP and WebSocket) at once; beyond, new connections are closed at once.',
  },
  PORTAL_WS_HEARTBEAT_SECONDS: {
    default: '30',
    description: 'WebSocket /ws: ping every socket this often; a socket that missed a pong is dropped.',
  },
  PORTAL_WS_MAX_FRAME_BYTES: { default: '65536', description: 'WebSocket /ws: largest frame a client may send, in bytes.' },
  PORTAL_WS_MAX_SOCKETS_PER_CREDENTIAL: {
    default: '8',
    description: 'WebSocket /ws: open sockets allowed per owner key or console session.',
  },
  PORTAL_WS_MAX_BUFFERED_BYTES: {
    default: '1048576',
    description: 'WebSocket /ws: unsent bytes allowed per socket before sending pauses (a client that stays slow is closed with 1013).',
  },
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(value.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!allowed.includes(value as T)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  /** An optional short name: letters, digits, dot, underscore, dash (1 to 64). */
  instanceId(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === '') return undefined;
    if (/^[A-Za-z0-9._-]{1,64}$/.test(value)) return value;
    this.problems.push(`${name} must be 1 to 64 letters, digits, dots, underscores or dashes`);
    return undefined;
  }

  httpUrl(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      if (url.username || url.password || url.search || url.hash) throw new Error('extras');
      return url.toString().replace(/\/+$/, '');
    } catch {
      // Never echo credentials someone put in the URL.
      const shown = value.replace(/\/\/[^/@]*@/, '//…@');
      this.problems.push(`${name} must be an http(s) URL without credentials, query or fragment (got "${shown}")`);
      return fallback;
    }
  }
}

/** Reads and validates every PORTAL_* variable; throws ConfigError naming each bad one. */
export function loadConfig(env: Env = process.env): PortalConfig {
  const r = new Reader(env);
  const port = r.integer('PORTAL_PORT', 8080, 0, 65535);
  const host = r.string('PORTAL_HOST', '127.0.0.1');
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = r.httpUrl('PORTAL_PUBLIC_URL', `http://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${port}`);
  const databaseUrl = r.string('PORTAL_DATABASE_URL', '');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    r.problems.push('PORTAL_DATABASE_URL must be empty (SQLite) or a postgres:// URL');
  }
  const initialOwnerKey = r.raw('PORTAL_OWNER_KEY');
  if (initialOwnerKey !== undefined && !OWNER_KEY_PATTERN.test(initialOwnerKey)) {
    r.problems.push('PORTAL_OWNER_KEY must be ap2p_o_ followed by at least 43 URL-safe characters (A-Z a-z 0-9 _ -)');
  }
  const initialConsolePassword = env.PORTAL_CONSOLE_PASSWORD || undefined;
  if (initialConsolePassword !== undefined && (initialConsolePassword.length < 12 || initialConsolePassword.length > 256)) {
    r.problems.push('PORTAL_CONSOLE_PASSWORD must be 12 to 256 characters long');
  }
  const config: PortalConfig = {
    port,
    host,
    publicUrl,
    dataDir: resolve(r.string('PORTAL_DATA_DIR', './data')),
    databaseUrl,
    logLevel: r.oneOf('PORTAL_LOG_LEVEL', 'info', LOG_LEVELS),
    initialOwnerKey,
    initialConsolePassword,
    initialAgentName: r.string('PORTAL_AGENT_NAME', 'My agent').slice(0, 100),
    initialOwnerName: r.string('PORTAL_OWNER_NAME', '').slice(0, 100),
    trustProxy: r.boolean('PORTAL_TRUST_PROXY', false),
    secretKey: r.raw('PORTAL_SECRET_KEY'),
    consoleDir: env.PORTAL_CONSOLE_DIR ? resolve(env.PORTAL_CONSOLE_DIR) : undefined,
    instanceId: r.instanceId('PORTAL_INSTANCE_ID'),
    limits: {
      maxBodyBytes: r.integer('PORTAL_MAX_BODY_BYTES', 1048576, 1024, 64 * 1048576),
      loginMaxAttempts: r.integer('PORTAL_LOGIN_MAX_ATTEMPTS', 10, 1, 10000),
      loginWindowSeconds: r.integer('PORTAL_LOGIN_WINDOW_SECONDS', 900, 1, 86400),
      loginMaxConcurrent: r.integer('PORTAL_LOGIN_MAX_CONCURRENT', 2, 1, 64),
      sessionTtlHours: r.integer('PORTAL_SESSION_TTL_HOURS', 168, 1, 8760),
      minFreeDiskBytes: r.integer('PORTAL_MIN_FREE_DISK_MB', 100, 0, 1048576) * 1048576,
      maxMessageBytes: r.integer('PORTAL_MAX_MESSAGE_BYTES', 65536, 1, 16 * 1048576),
      contactRequestsPerMinute: r.integer('PORTAL_CONTACT_REQUESTS_PER_MINUTE', 6000, 1, 1_000_000),
      publicRequestsPerMinute: r.integer('PORTAL_PUBLIC_REQUESTS_PER_MINUTE', 30, 1, 1_000_000),
      pendingRequestsPerPortal: r.integer('PORTAL_PENDING_REQUESTS_PER_PORTAL', 3, 1, 1000),
      requestVerifyTimeoutSeconds: r.integer('PORTAL_CONTACT_VERIFY_TIMEOUT_SECONDS', 300, 1, 86400),
      invalidRequestRetentionHours: r.integer('PORTAL_INVALID_REQUEST_RETENTION_HOURS', 24, 1, 8760),
      guestbookMaxPosts: r.integer('PORTAL_GUESTBOOK_MAX_POSTS', 5, 1, 1_000_000),
      guestbookWindowSeconds: r.integer('PORTAL_GUESTBOOK_WINDOW_SECONDS', 3600, 1, 604800),
      guestbookMaxMessageChars: r.integer('PORTAL_GUESTBOOK_MAX_MESSAGE_CHARS', 2000, 1, 100_000),
    },
    peers: {
      allowInsecure: r.boolean('PORTAL_ALLOW_INSECURE_PEERS', false),
      allowPrivate: r.boolean('PORTAL_ALLOW_PRIVATE_PEERS', false),
      connectTimeoutMs: r.integer('PORTAL_PEER_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
      totalTimeoutMs: r.integer('PORTAL_PEER_TIMEOUT_MS', 15000, 100, 600_000),
      maxResponseBytes: 1048576,
    },
    outbox: {
      retryBaseMs: r.integer('PORTAL_OUTBOX_RETRY_BASE_MS', 2000, 10, 3_600_000),
      retryMaxSeconds: r.integer('PORTAL_OUTBOX_RETRY_MAX_SECONDS', 3600, 1, 86_400),
      giveUpDays: r.integer('PORTAL_OUTBOX_GIVE_UP_DAYS', 7, 1, 365),
      concurrency: r.integer('PORTAL_OUTBOX_CONCURRENCY', 16, 1, 256),
      leaseSeconds: r.integer('PORTAL_OUTBOX_LEASE_SECONDS', 10, 2, 600),
      probeSeconds: r.integer('PORTAL_OUTBOX_PROBE_SECONDS', 15, 1, 3600),
      batchItems: r.integer('PORTAL_OUTBOX_BATCH_ITEMS', 100, 1, 100),
      batchBytes: r.integer('PORTAL_OUTBOX_BATCH_BYTES', 262144, 1024, 16 * 1048576),
      strangers: {
        concurrency: r.integer('PORTAL_OUTBOX_STRANGER_CONCURRENCY', 4, 1, 64),
        timeoutMs: r.integer('PORTAL_OUTBOX_STRANGER_TIMEOUT_MS', 5000, 100, 120_000),
        maxAttempts: r.integer('PORTAL_OUTBOX_STRANGER_MAX_ATTEMPTS', 6, 1, 1000),
        giveUpMinutes: r.integer('PORTAL_OUTBOX_STRANGER_GIVE_UP_MINUTES', 60, 1, 10_080),
      },
    },
    ws: {
      heartbeatSeconds: r.integer('PORTAL_WS_HEARTBEAT_SECONDS', 30, 1, 3600),
      maxFrameBytes: r.integer('PORTAL_WS_MAX_FRAME_BYTES', 65536, 1024, 16 * 1048576),
      maxSocketsPerCredential: r.integer('PORTAL_WS_MAX_SOCKETS_PER_CREDENTIAL', 8, 1, 10000),
      maxBufferedBytes: r.integer('PORTAL_WS_MAX_BUFFERED_BYTES', 1048576, 16384, 1024 * 1048576),
    },
    files: {
      maxFileBytes: r.integer('PORTAL_MAX_FILE_BYTES', 2 * 1024 ** 3, 1, 1024 ** 4),
      chunkBytes: r.integer('PORTAL_FILE_CHUNK_BYTES', 8 * 1048576, 1024, 64 * 1048576),
      minChunkBytes: r.integer('PORTAL_FILE_MIN_CHUNK_BYTES', 256 * 1024, 1024, 64 * 1048576),
      maxChunksPerFile: r.integer('PORTAL_FILE_MAX_CHUNKS', 16384, 1, 1_000_000),
      contactQuotaBytes: r.integer('PORTAL_CONTACT_FILE_QUOTA_BYTES', 10 * 1024 ** 3, 0, 1024 ** 5),
      incompleteExpireHours: r.integer('PORTAL_FILE_INCOMPLETE_EXPIRE_HOURS', 24, 1, 8760),
      sentRetentionHours: r.integer('PORTAL_FILE_SENT_RETENTION_HOURS', 72, 0, 87600),
      sweepIntervalSeconds: r.integer('PORTAL_FILE_SWEEP_INTERVAL_SECONDS', 600, 1, 86400),
    },
    server: {
      requestTimeoutMs: r.integer('PORTAL_REQUEST_TIMEOUT_SECONDS', 300, 1, 86400) * 1000,
      headersTimeoutMs: r.integer('PORTAL_HEADERS_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
      keepAliveTimeoutMs: r.integer('PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS', 72, 1, 3600) * 1000,
      maxConnections: r.integer('PORTAL_MAX_CONNECTIONS', 1024, 1, 1_000_000),
    },
  };
  if (config.files.chunkBytes < config.files.minChunkBytes) {
    r.problems.push(
      `PORTAL_FILE_CHUNK_BYTES (${config.files.chunkBytes}) must be at least PORTAL_FILE_MIN_CHUNK_BYTES (${config.files.minChunkBytes}): a Portal accepts the chunks it asks for`,
    );
  }
  if (config.secretKey !== undefined && Buffer.from(config.secretKey, 'base64url').length !== 32) {
    r.problems.push('PORTAL_SECRET_KEY must be 32 bytes encoded as base64url (43 characters)');
  }
  if (config.server.headersTimeoutMs > config.server.requestTimeoutMs) {
    r.problems.push('PORTAL_HEADERS_TIMEOUT_SECONDS must not be greater than PORTAL_REQUEST_TIMEOUT_SECONDS');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

export const PORTAL_CONFIG = Symbol('PORTAL_CONFIG');
