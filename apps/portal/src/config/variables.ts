import { importPrivateKey } from '../common/identity-keys';
import { resolve } from 'node:path';
import { isTimeZone, parseQuietHours, type QuietHours } from '../common/quiet-hours';
import { type CaFile, readCaFile } from './ca-file';
import type { EnvReader } from './env-reader';
import { LOG_LEVELS, OWNER_KEY_PATTERN } from './settings';

/**
 * Every PORTAL_* variable the Portal reads, declared once: its default, how it is read and checked,
 * and what it means. loadConfig (load-config.ts) reads the settings through it; the README table and
 * docker/example.env (scripts/sync-config-docs.mjs) are written from it.
 */
export interface ConfigVariable<T> {
  /** The default as the docs show it ('' is shown as "(empty)"; one with <…> is computed). */
  default: string;
  /** What the variable means, one line of the docs. */
  description: string;
  /** Reads the value; a bad one is recorded as a problem (naming the variable) and the default used. */
  read(env: EnvReader, name: string): T;
}

function variable<T>(fallback: string, description: string, read: (env: EnvReader, name: string) => T): ConfigVariable<T> {
  return { default: fallback, description, read };
}

/** A whole number from min to max. */
function integer(fallback: number, min: number, max: number, description: string): ConfigVariable<number> {
  return variable(String(fallback), description, (env, name) => env.integer(name, fallback, min, max));
}

/** true/1/yes or false/0/no. */
function flag(fallback: boolean, description: string): ConfigVariable<boolean> {
  return variable(String(fallback), description, (env, name) => env.boolean(name, fallback));
}

function text(fallback: string, description: string): ConfigVariable<string> {
  return variable(fallback, description, (env, name) => env.string(name, fallback));
}

/** A display name: at most 100 characters are kept. */
function displayName(fallback: string, description: string): ConfigVariable<string> {
  return variable(fallback, description, (env, name) => env.string(name, fallback).slice(0, 100));
}

function oneOf<T extends string>(fallback: T, allowed: readonly T[], description: string): ConfigVariable<T> {
  return variable(fallback, description, (env, name) => env.oneOf(name, fallback, allowed));
}

/** A directory, made absolute against the working directory. */
function directory(fallback: string, description: string): ConfigVariable<string> {
  return variable(fallback, description, (env, name) => resolve(env.string(name, fallback)));
}

/** A directory or nothing (the value is taken as set, untrimmed). */
function optionalDirectory(description: string): ConfigVariable<string | undefined> {
  return variable('', description, (env, name) => {
    const value = env.untrimmed(name);
    return value ? resolve(value) : undefined;
  });
}

/** The public URL; its default (from PORTAL_HOST and PORTAL_PORT) is given when it is read. */
function publicUrl(description: string): ConfigVariable<(computedDefault: string) => string> {
  return variable('http://<host>:<port>', description, (env, name) => (computedDefault) => env.httpUrl(name, computedDefault));
}

function databaseUrl(description: string): ConfigVariable<string> {
  return variable('', description, (env, name) => {
    const value = env.string(name, '');
    if (value && !/^postgres(ql)?:\/\//.test(value)) env.problems.push(`${name} must be empty (SQLite) or a postgres:// URL`);
    return value;
  });
}

function ownerKey(description: string): ConfigVariable<string | undefined> {
  return variable('', description, (env, name) => {
    const value = env.raw(name);
    if (value !== undefined && !OWNER_KEY_PATTERN.test(value)) {
      env.problems.push(`${name} must be ap2p_o_ followed by at least 43 URL-safe characters (A-Z a-z 0-9 _ -)`);
    }
    return value;
  });
}

/** A password is taken as set (spaces count). */
function consolePassword(description: string): ConfigVariable<string | undefined> {
  return variable('', description, (env, name) => {
    const value = env.untrimmed(name);
    if (value !== undefined && (value.length < 12 || value.length > 256)) env.problems.push(`${name} must be 12 to 256 characters long`);
    return value;
  });
}

function secretKey(description: string): ConfigVariable<string | undefined> {
  return variable('', description, (env, name) => {
    const value = env.raw(name);
    if (value !== undefined && Buffer.from(value, 'base64url').length !== 32) {
      env.problems.push(`${name} must be 32 bytes encoded as base64url (43 characters)`);
    }
    return value;
  });
}

/** An Ed25519 private key (PKCS#8, PEM or base64): checked at start, so a bad key is a config error. */
function identityKey(description: string): ConfigVariable<string | undefined> {
  return variable('', description, (env, name) => {
    const value = env.raw(name);
    if (value === undefined) return undefined;
    try {
      importPrivateKey(value);
    } catch {
      env.problems.push(`${name} must be an Ed25519 private key in PKCS#8 form (PEM, or its DER in base64)`);
    }
    return value;
  });
}

function quietHours(description: string): ConfigVariable<QuietHours | null> {
  return variable('', description, (env, name) => {
    try {
      return parseQuietHours(env.string(name, ''));
    } catch (error) {
      env.problems.push(`${name} ${(error as Error).message}`);
      return null;
    }
  });
}

function timeZone(description: string): ConfigVariable<string> {
  return variable('UTC', description, (env, name) => {
    const value = env.string(name, 'UTC');
    if (isTimeZone(value)) return value;
    env.problems.push(`${name} must be an IANA time zone such as Europe/Berlin or Asia/Shanghai (got "${value}")`);
    return 'UTC';
  });
}

/** A PEM file of extra certificate authorities, read once at start (ca-file.ts). */
function caFile(description: string): ConfigVariable<CaFile | undefined> {
  return variable('', description, (env, name) => readCaFile(env, name));
}

function instanceId(description: string): ConfigVariable<string | undefined> {
  return variable('', description, (env, name) => env.instanceId(name));
}

/** In the order the docs list them. */
export const PORTAL_VARIABLES = {
  PORTAL_PORT: integer(8080, 0, 65535, 'TCP port to listen on.'),
  PORTAL_HOST: text('127.0.0.1', 'Address to listen on (0.0.0.0 in Docker).'),
  PORTAL_PUBLIC_URL: publicUrl("This Portal's identity: the URL peers reach it at (https in production)."),
  PORTAL_DATA_DIR: directory('./data', 'Directory for the SQLite database and files.'),
  PORTAL_DATABASE_URL: databaseUrl('Empty: SQLite in the data directory. postgres://user:pass@host:5432/db for PostgreSQL.'),
  PORTAL_LOG_LEVEL: oneOf('info', LOG_LEVELS, `One of ${LOG_LEVELS.join(', ')}.`),
  PORTAL_OWNER_KEY: ownerKey('First start only: use this owner key (ap2p_o_ + 43 or more URL-safe characters) instead of a random one.'),
  PORTAL_CONSOLE_PASSWORD: consolePassword('First start only: use this console password (at least 12 characters) instead of a random one.'),
  PORTAL_AGENT_NAME: displayName('My agent', "First start only: the agent's display name."),
  PORTAL_OWNER_NAME: displayName('', "First start only: the owner's display name."),
  PORTAL_TRUST_PROXY: flag(false, 'true behind a reverse proxy, so client addresses come from X-Forwarded-For.'),
  PORTAL_MAX_BODY_BYTES: integer(1048576, 1024, 64 * 1048576, 'Largest JSON request body, in bytes (413 beyond).'),
  PORTAL_LOGIN_MAX_ATTEMPTS: integer(10, 1, 10000, 'Failed console logins per client address in each window, per instance (429 beyond).'),
  PORTAL_LOGIN_WINDOW_SECONDS: integer(900, 1, 86400, 'Length of the login rate-limit window, in seconds.'),
  PORTAL_LOGIN_MAX_CONCURRENT: integer(
    2,
    1,
    64,
    'Password checks (logins, password changes) run at the same time, per instance; more are refused with 429 at once, so a login flood cannot fill the worker threads.',
  ),
  PORTAL_SESSION_TTL_HOURS: integer(168, 1, 8760, 'Lifetime of a console session, in hours.'),
  PORTAL_CONSOLE_DIR: optionalDirectory('Directory of the built console and homepage. Empty: apps/console/dist of this installation.'),
  PORTAL_SECRET_KEY: secretKey(
    'Key (32 bytes, base64url) that encrypts contact keys at rest. Empty: generated once into <data dir>/secret.key. Set the same value on every instance sharing one PostgreSQL database.',
  ),
  PORTAL_IDENTITY_KEY: identityKey(
    "This Portal's Ed25519 identity key (PKCS#8 PEM or base64 DER; `openssl genpkey -algorithm ed25519`). Empty: generated on first start and kept sealed in the database. Changing it is an unannounced key change that contacts refuse until their owners re-pin; rotate with `agent-p2p keys rotate-identity` instead.",
  ),
  PORTAL_SIGNATURE_CLOCK_SKEW_SECONDS: integer(
    60,
    0,
    600,
    "Clock difference allowed between this Portal and a peer when checking a signed call's created and expires (401 beyond).",
  ),
  PORTAL_MAX_MESSAGE_BYTES: integer(65536, 1, 16 * 1048576, 'Largest message content, in bytes (413 beyond).'),
  PORTAL_CONTACT_REQUESTS_PER_MINUTE: integer(
    6000,
    1,
    1_000_000,
    'Federation requests accepted from one contact per minute, per instance (429 beyond; the peer retries).',
  ),
  PORTAL_PUBLIC_REQUESTS_PER_MINUTE: integer(
    30,
    1,
    1_000_000,
    'Unauthenticated writes (contact requests, guestbook) per client address per minute, per instance.',
  ),
  PORTAL_PENDING_REQUESTS_PER_PORTAL: integer(3, 1, 1000, 'Contact requests from one Portal that may wait for the owner at the same time.'),
  PORTAL_CONTACT_VERIFY_TIMEOUT_SECONDS: integer(
    300,
    1,
    86400,
    'A received contact request that the Portal it names has not confirmed within this time ends invalid.',
  ),
  PORTAL_RECEIPT_UNCONFIRMED_SECONDS: integer(
    600,
    1,
    604_800,
    'A delivered message whose contact has not seen it within this time gives the agent one message.unconfirmed event.',
  ),
  PORTAL_INVALID_REQUEST_RETENTION_HOURS: integer(
    24,
    1,
    8760,
    'Invalid contact requests (never confirmed by their sender) are deleted this long after they ended.',
  ),
  PORTAL_ALLOW_INSECURE_PEERS: flag(false, 'true allows http:// peers (tests, local demos only).'),
  PORTAL_ALLOW_PRIVATE_PEERS: flag(false, 'true allows peers on loopback, private and link-local addresses (tests, LANs).'),
  PORTAL_CA_FILE: caFile(
    'PEM file of extra certificate authorities trusted for https calls to peer Portals, besides the public roots built into Node.js (a private CA, a test CA). Empty: the public roots only.',
  ),
  PORTAL_PEER_CONNECT_TIMEOUT_MS: integer(5000, 100, 120_000, 'Connect timeout for calls to peers.'),
  PORTAL_PEER_TIMEOUT_MS: integer(15000, 100, 600_000, 'Total timeout for one call to a peer.'),
  PORTAL_OUTBOX_RETRY_BASE_MS: integer(2000, 10, 3_600_000, 'First retry delay of a failed delivery; doubles per attempt, with jitter.'),
  PORTAL_OUTBOX_RETRY_MAX_SECONDS: integer(3600, 1, 86_400, 'Longest delay between two delivery attempts.'),
  PORTAL_OUTBOX_GIVE_UP_DAYS: integer(7, 1, 365, 'Days after which an undeliverable item is marked failed.'),
  PORTAL_OUTBOX_CONCURRENCY: integer(16, 1, 256, 'Peers delivered to in parallel.'),
  PORTAL_OUTBOX_LEASE_SECONDS: integer(
    10,
    2,
    600,
    'Lease on an outbox item while an instance delivers it, renewed while the call runs; items of a crashed instance are taken over after this.',
  ),
  PORTAL_OUTBOX_PROBE_SECONDS: integer(
    15,
    1,
    3600,
    'A contact that has been failing for longer than this is probed this often (GET /.well-known/agent-p2p); when it answers, its queue is retried at once.',
  ),
  PORTAL_OUTBOX_PARK_RETRY_SECONDS: integer(
    300,
    1,
    86_400,
    "A file transfer the contact's Portal has no room for (507, over its quota) is parked while other items flow on, and tried again after this long, doubling (with jitter) up to PORTAL_OUTBOX_PARK_RETRY_MAX_SECONDS; sooner when the contact calls or takes another file.",
  ),
  PORTAL_OUTBOX_PARK_RETRY_MAX_SECONDS: integer(3600, 1, 86_400, 'Longest delay between two tries of a parked file transfer.'),
  PORTAL_OUTBOX_BATCH_ITEMS: integer(
    100,
    1,
    100,
    'Most messages to one contact sent in one call (1 sends each alone; at most 100, what a Portal accepts).',
  ),
  PORTAL_OUTBOX_BATCH_BYTES: integer(
    262144,
    1024,
    16 * 1048576,
    'Most bytes of message content in one such call (a single larger message still goes alone).',
  ),
  PORTAL_INSTANCE_ID: instanceId(
    'Name of this instance among several on one PostgreSQL database (letters, digits, . _ -). Set: a restarted instance frees its own outbox leases at once. Empty: a new name at every start.',
  ),
  PORTAL_OUTBOX_STRANGER_CONCURRENCY: integer(
    4,
    1,
    64,
    'Calls made because of an unapproved Portal (verifying its contact request) in parallel, one per origin; they never take the slots of PORTAL_OUTBOX_CONCURRENCY.',
  ),
  PORTAL_OUTBOX_STRANGER_TIMEOUT_MS: integer(5000, 100, 120_000, 'Total timeout of one call to an unapproved Portal.'),
  PORTAL_OUTBOX_STRANGER_MAX_ATTEMPTS: integer(
    6,
    1,
    1000,
    'Attempts after which a call to an unapproved Portal fails (an unverifiable contact request becomes invalid).',
  ),
  PORTAL_OUTBOX_STRANGER_GIVE_UP_MINUTES: integer(
    60,
    1,
    10_080,
    'Minutes after which a call to an unapproved Portal that still fails is given up.',
  ),
  PORTAL_MIN_FREE_DISK_MB: integer(
    100,
    0,
    1048576,
    'Below this much free disk in the data directory, /health answers 503 and file uploads that would go below it are refused with 507.',
  ),
  PORTAL_MAX_FILE_BYTES: integer(2 * 1024 ** 3, 1, 1024 ** 4, 'Largest file sent or received, in bytes (413 beyond).'),
  PORTAL_FILE_CHUNK_BYTES: integer(
    8 * 1048576,
    1024,
    64 * 1048576,
    'Chunk size uploads to this Portal use, in bytes (a bigger chunk is refused with 413).',
  ),
  PORTAL_FILE_MIN_CHUNK_BYTES: integer(
    256 * 1024,
    1024,
    64 * 1048576,
    'Smallest chunk size a contact may offer a file in, in bytes (400 below; a file of one chunk may be smaller). At most PORTAL_FILE_CHUNK_BYTES.',
  ),
  PORTAL_FILE_MAX_CHUNKS: integer(
    16384,
    1,
    1_000_000,
    'Most chunks one file may have (an offer with more is refused with 400, an upload with 413).',
  ),
  PORTAL_CONTACT_FILE_QUOTA_BYTES: integer(
    10 * 1024 ** 3,
    0,
    1024 ** 5,
    "Disk space the files of one contact (sent and received) may occupy, in bytes (507 beyond); the owner chat's local files share one quota of the same size.",
  ),
  PORTAL_FILE_INCOMPLETE_EXPIRE_HOURS: integer(
    24,
    1,
    8760,
    'An unfinished upload or incoming transfer without progress for this many hours is deleted.',
  ),
  PORTAL_FILE_SENT_RETENTION_HOURS: integer(
    72,
    0,
    87600,
    'Hours the content of a sent file is kept after the contact confirmed it (0: removed at once).',
  ),
  PORTAL_FILE_SWEEP_INTERVAL_SECONDS: integer(600, 1, 86400, 'How often expired uploads and delivered copies are looked for and removed.'),
  PORTAL_GUESTBOOK_MAX_POSTS: integer(5, 1, 1_000_000, 'Guestbook posts per client address in each window, per instance (429 beyond).'),
  PORTAL_GUESTBOOK_WINDOW_SECONDS: integer(3600, 1, 604800, 'Length of the guestbook rate-limit window, in seconds.'),
  PORTAL_GUESTBOOK_MAX_MESSAGE_CHARS: integer(2000, 1, 100_000, 'Longest guestbook message, in characters (413 beyond).'),
  PORTAL_REQUEST_TIMEOUT_SECONDS: integer(
    300,
    1,
    86400,
    'A request (headers and body) not fully received after this many seconds is answered 408 and closed. The default lets an 8 MiB file chunk arrive at 28 KiB/s; raise it for slower links.',
  ),
  PORTAL_HEADERS_TIMEOUT_SECONDS: integer(
    30,
    1,
    3600,
    'A request whose headers are not complete after this many seconds is answered 408 and closed (slowloris).',
  ),
  PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS: integer(
    72,
    1,
    3600,
    "An idle keep-alive connection is closed after this many seconds (keep it above a reverse proxy's own idle timeout).",
  ),
  PORTAL_MAX_CONNECTIONS: integer(
    1024,
    1,
    1_000_000,
    'Open connections (HTTP and WebSocket) at once, per instance; beyond, new connections are closed at once.',
  ),
  PORTAL_WS_HEARTBEAT_SECONDS: integer(30, 1, 3600, 'WebSocket /ws: ping every socket this often; a socket that missed a pong is dropped.'),
  PORTAL_WS_MAX_FRAME_BYTES: integer(65536, 1024, 16 * 1048576, 'WebSocket /ws: largest frame a client may send, in bytes.'),
  PORTAL_WS_MAX_SOCKETS_PER_CREDENTIAL: integer(8, 1, 10000, 'WebSocket /ws: open sockets per owner key or console session, per instance.'),
  PORTAL_WS_MAX_BUFFERED_BYTES: integer(
    1048576,
    16384,
    1024 * 1048576,
    'WebSocket /ws: unsent bytes allowed per socket before sending pauses (a client that stays slow is closed with 1013).',
  ),
  PORTAL_AUTONOMY_BOUNDED_TURNS: integer(
    20,
    0,
    100_000,
    'Turns the agent is woken for to answer a bounded contact (the default tier) per window; later messages wait in the review queue for the owner.',
  ),
  PORTAL_AUTONOMY_EXTENDED_TURNS: integer(200, 0, 1_000_000, 'The same budget for a contact the owner set to extended.'),
  PORTAL_AUTONOMY_WINDOW_SECONDS: integer(86400, 60, 31 * 86400, 'Length of the sliding window those budgets count turns in, in seconds.'),
  PORTAL_WAKE_COALESCE_MS: integer(
    1500,
    0,
    600_000,
    "Messages from one contact arriving less than this apart wake the agent once, together (the wake waits this long after a contact's latest message).",
  ),
  PORTAL_WAKE_COALESCE_MAX_MS: integer(
    5000,
    0,
    3_600_000,
    'Longest a message waits for more to join its wake (a steady stream still wakes this often).',
  ),
  PORTAL_WAKE_MAX_MESSAGES: integer(20, 1, 1000, 'Most messages in one wake; more form the next one.'),
  PORTAL_QUIET_HOURS: quietHours(
    "Daily quiet hours in the owner's time zone, HH:MM-HH:MM (e.g. 22:00-07:00): contacts' messages wake the agent only when they end (the owner chat still wakes). Empty: none.",
  ),
  PORTAL_TIME_ZONE: timeZone("The owner's time zone (IANA name, e.g. Asia/Shanghai) for quiet hours."),
} satisfies Record<string, ConfigVariable<unknown>>;

export type PortalVariableName = keyof typeof PORTAL_VARIABLES;

/** Every PORTAL_* variable with its default and meaning, as the docs show them (README, docker/example.env). */
export const CONFIG_VARIABLES: Record<string, { default: string; description: string }> = Object.fromEntries(
  Object.entries(PORTAL_VARIABLES).map(([name, { default: fallback, description }]) => [name, { default: fallback, description }]),
);
