import { ConfigError, type Env, EnvReader } from './env-reader';
import type { PortalConfig } from './settings';
import { PORTAL_VARIABLES, type PortalVariableName } from './variables';

/** Reads and validates every PORTAL_* variable; throws ConfigError naming each bad one. */
export function loadConfig(env: Env = process.env): PortalConfig {
  const r = new EnvReader(env);
  const read = <K extends PortalVariableName>(name: K): ReturnType<(typeof PORTAL_VARIABLES)[K]['read']> =>
    PORTAL_VARIABLES[name].read(r, name) as ReturnType<(typeof PORTAL_VARIABLES)[K]['read']>;

  const port = read('PORTAL_PORT');
  const host = read('PORTAL_HOST');
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = read('PORTAL_PUBLIC_URL')(`http://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${port}`);
  const databaseUrl = read('PORTAL_DATABASE_URL');
  const initialOwnerKey = read('PORTAL_OWNER_KEY');
  const initialConsolePassword = read('PORTAL_CONSOLE_PASSWORD');
  const settings = {
    port,
    host,
    publicUrl,
    dataDir: read('PORTAL_DATA_DIR'),
    databaseUrl,
    logLevel: read('PORTAL_LOG_LEVEL'),
    initialOwnerKey,
    initialConsolePassword,
    initialAgentName: read('PORTAL_AGENT_NAME'),
    initialOwnerName: read('PORTAL_OWNER_NAME'),
    trustProxy: read('PORTAL_TRUST_PROXY'),
  };
  const consoleDir = read('PORTAL_CONSOLE_DIR');
  const instanceId = read('PORTAL_INSTANCE_ID');
  const sections = {
    limits: {
      maxBodyBytes: read('PORTAL_MAX_BODY_BYTES'),
      loginMaxAttempts: read('PORTAL_LOGIN_MAX_ATTEMPTS'),
      loginWindowSeconds: read('PORTAL_LOGIN_WINDOW_SECONDS'),
      loginMaxConcurrent: read('PORTAL_LOGIN_MAX_CONCURRENT'),
      sessionTtlHours: read('PORTAL_SESSION_TTL_HOURS'),
      minFreeDiskBytes: read('PORTAL_MIN_FREE_DISK_MB') * 1048576,
      maxMessageBytes: read('PORTAL_MAX_MESSAGE_BYTES'),
      contactRequestsPerMinute: read('PORTAL_CONTACT_REQUESTS_PER_MINUTE'),
      publicRequestsPerMinute: read('PORTAL_PUBLIC_REQUESTS_PER_MINUTE'),
      pendingRequestsPerPortal: read('PORTAL_PENDING_REQUESTS_PER_PORTAL'),
      requestVerifyTimeoutSeconds: read('PORTAL_CONTACT_VERIFY_TIMEOUT_SECONDS'),
      receiptUnconfirmedSeconds: read('PORTAL_RECEIPT_UNCONFIRMED_SECONDS'),
      invalidRequestRetentionHours: read('PORTAL_INVALID_REQUEST_RETENTION_HOURS'),
      guestbookMaxPosts: read('PORTAL_GUESTBOOK_MAX_POSTS'),
      guestbookWindowSeconds: read('PORTAL_GUESTBOOK_WINDOW_SECONDS'),
      guestbookMaxMessageChars: read('PORTAL_GUESTBOOK_MAX_MESSAGE_CHARS'),
    },
    identity: {
      clockSkewSeconds: read('PORTAL_SIGNATURE_CLOCK_SKEW_SECONDS'),
    },
    peers: {
      allowInsecure: read('PORTAL_ALLOW_INSECURE_PEERS'),
      allowPrivate: read('PORTAL_ALLOW_PRIVATE_PEERS'),
      extraCa: read('PORTAL_CA_FILE'),
      connectTimeoutMs: read('PORTAL_PEER_CONNECT_TIMEOUT_MS'),
      totalTimeoutMs: read('PORTAL_PEER_TIMEOUT_MS'),
      maxResponseBytes: 1048576,
    },
    outbox: {
      retryBaseMs: read('PORTAL_OUTBOX_RETRY_BASE_MS'),
      retryMaxSeconds: read('PORTAL_OUTBOX_RETRY_MAX_SECONDS'),
      giveUpDays: read('PORTAL_OUTBOX_GIVE_UP_DAYS'),
      concurrency: read('PORTAL_OUTBOX_CONCURRENCY'),
      leaseSeconds: read('PORTAL_OUTBOX_LEASE_SECONDS'),
      probeSeconds: read('PORTAL_OUTBOX_PROBE_SECONDS'),
      parkRetrySeconds: read('PORTAL_OUTBOX_PARK_RETRY_SECONDS'),
      parkRetryMaxSeconds: read('PORTAL_OUTBOX_PARK_RETRY_MAX_SECONDS'),
      batchItems: read('PORTAL_OUTBOX_BATCH_ITEMS'),
      batchBytes: read('PORTAL_OUTBOX_BATCH_BYTES'),
      strangers: {
        concurrency: read('PORTAL_OUTBOX_STRANGER_CONCURRENCY'),
        timeoutMs: read('PORTAL_OUTBOX_STRANGER_TIMEOUT_MS'),
        maxAttempts: read('PORTAL_OUTBOX_STRANGER_MAX_ATTEMPTS'),
        giveUpMinutes: read('PORTAL_OUTBOX_STRANGER_GIVE_UP_MINUTES'),
      },
    },
    ws: {
      heartbeatSeconds: read('PORTAL_WS_HEARTBEAT_SECONDS'),
      maxFrameBytes: read('PORTAL_WS_MAX_FRAME_BYTES'),
      maxSocketsPerCredential: read('PORTAL_WS_MAX_SOCKETS_PER_CREDENTIAL'),
      maxBufferedBytes: read('PORTAL_WS_MAX_BUFFERED_BYTES'),
    },
    files: {
      maxFileBytes: read('PORTAL_MAX_FILE_BYTES'),
      chunkBytes: read('PORTAL_FILE_CHUNK_BYTES'),
      minChunkBytes: read('PORTAL_FILE_MIN_CHUNK_BYTES'),
      maxChunksPerFile: read('PORTAL_FILE_MAX_CHUNKS'),
      contactQuotaBytes: read('PORTAL_CONTACT_FILE_QUOTA_BYTES'),
      incompleteExpireHours: read('PORTAL_FILE_INCOMPLETE_EXPIRE_HOURS'),
      sentRetentionHours: read('PORTAL_FILE_SENT_RETENTION_HOURS'),
      sweepIntervalSeconds: read('PORTAL_FILE_SWEEP_INTERVAL_SECONDS'),
    },
    server: {
      requestTimeoutMs: read('PORTAL_REQUEST_TIMEOUT_SECONDS') * 1000,
      headersTimeoutMs: read('PORTAL_HEADERS_TIMEOUT_SECONDS') * 1000,
      keepAliveTimeoutMs: read('PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS') * 1000,
      maxConnections: read('PORTAL_MAX_CONNECTIONS'),
    },
    governance: {
      boundedTurns: read('PORTAL_AUTONOMY_BOUNDED_TURNS'),
      extendedTurns: read('PORTAL_AUTONOMY_EXTENDED_TURNS'),
      budgetWindowSeconds: read('PORTAL_AUTONOMY_WINDOW_SECONDS'),
      coalesceQuietMs: read('PORTAL_WAKE_COALESCE_MS'),
      coalesceMaxMs: read('PORTAL_WAKE_COALESCE_MAX_MS'),
      maxMessagesPerWake: read('PORTAL_WAKE_MAX_MESSAGES'),
      quietHours: read('PORTAL_QUIET_HOURS'),
      timeZone: read('PORTAL_TIME_ZONE'),
    },
  };
  // Checks across variables; the secret key's own check is reported between them, as it always was.
  if (sections.files.chunkBytes < sections.files.minChunkBytes) {
    r.problems.push(
      `PORTAL_FILE_CHUNK_BYTES (${sections.files.chunkBytes}) must be at least PORTAL_FILE_MIN_CHUNK_BYTES (${sections.files.minChunkBytes}): a Portal accepts the chunks it asks for`,
    );
  }
  const secretKey = read('PORTAL_SECRET_KEY');
  const identityKey = read('PORTAL_IDENTITY_KEY');
  if (sections.server.headersTimeoutMs > sections.server.requestTimeoutMs) {
    r.problems.push('PORTAL_HEADERS_TIMEOUT_SECONDS must not be greater than PORTAL_REQUEST_TIMEOUT_SECONDS');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { ...settings, secretKey, identityKey, consoleDir, instanceId, ...sections };
}
