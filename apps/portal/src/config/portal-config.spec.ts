import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig, OWNER_KEY_PATTERN } from './portal-config';

const VALID_KEY = `ap2p_o_${'A'.repeat(43)}`;

/** A self-signed P-256 CA certificate (valid until 2126), only ever parsed here. */
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBijCCAS+gAwIBAgIUI427UtLo4S+kC/23ux0m8p0TPBQwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOQ29uZmlnIHRlc3QgQ0EwIBcNMjYxMjAyMTU0NjM5WhgPMjEy
NjExMDgxNTQ2MzlaMBkxFzAVBgNVBAMMDkNvbmZpZyB0ZXN0IENBMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEYdHOrCIVkzIz/CByTgCuEO3VdUKFWxICMqsucn5z
j8JzixTXykKS0THkbdZPIrJ/etYIDysKUocp+qoW+rXYbqNTMFEwHQYDVR0OBBYE
FMkQtEi9iyyFHKtJ4lngTplzz5r7MB8GA1UdIwQYMBaAFMkQtEi9iyyFHKtJ4lng
Tplzz5r7MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAII3HVe0
G2DyKFYAn7CH2Ove2XgxaV1RxVOI0ldCokN5AiEA3e5J2DHiMFrrhc49XjrkJ/KV
6VkND+5+AVMHyfyTQa8=
-----END CERTIFICATE-----`;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:8080',
      dataDir: resolve('./data'),
      databaseUrl: '',
      logLevel: 'info',
      initialOwnerKey: undefined,
      initialConsolePassword: undefined,
      initialAgentName: 'My agent',
      initialOwnerName: '',
      trustProxy: false,
      secretKey: undefined,
      identityKey: undefined,
      identity: { clockSkewSeconds: 60 },
      consoleDir: undefined,
      limits: {
        maxBodyBytes: 1048576,
        loginMaxAttempts: 10,
        loginWindowSeconds: 900,
        loginMaxConcurrent: 2,
        sessionTtlHours: 168,
        minFreeDiskBytes: 100 * 1048576,
        maxMessageBytes: 65536,
        contactRequestsPerMinute: 6000,
        publicRequestsPerMinute: 30,
        pendingRequestsPerPortal: 3,
        requestVerifyTimeoutSeconds: 300,
        receiptUnconfirmedSeconds: 600,
        invalidRequestRetentionHours: 24,
        guestbookMaxPosts: 5,
        guestbookWindowSeconds: 3600,
        guestbookMaxMessageChars: 2000,
      },
      peers: { allowInsecure: false, allowPrivate: false, connectTimeoutMs: 5000, totalTimeoutMs: 15000, maxResponseBytes: 1048576 },
      outbox: {
        retryBaseMs: 2000,
        retryMaxSeconds: 3600,
        giveUpDays: 7,
        concurrency: 16,
        leaseSeconds: 10,
        probeSeconds: 15,
        parkRetrySeconds: 300,
        parkRetryMaxSeconds: 3600,
        batchItems: 100,
        batchBytes: 262144,
        strangers: { concurrency: 4, timeoutMs: 5000, maxAttempts: 6, giveUpMinutes: 60 },
      },
      ws: { heartbeatSeconds: 30, maxFrameBytes: 65536, maxSocketsPerCredential: 8, maxBufferedBytes: 1048576 },
      files: {
        maxFileBytes: 2147483648,
        chunkBytes: 8388608,
        minChunkBytes: 262144,
        maxChunksPerFile: 16384,
        contactQuotaBytes: 10737418240,
        incompleteExpireHours: 24,
        sentRetentionHours: 72,
        sweepIntervalSeconds: 600,
      },
      server: { requestTimeoutMs: 300_000, headersTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, maxConnections: 1024 },
      governance: {
        boundedTurns: 20,
        extendedTurns: 200,
        budgetWindowSeconds: 86400,
        coalesceQuietMs: 1500,
        coalesceMaxMs: 5000,
        maxMessagesPerWake: 20,
        quietHours: null,
        timeZone: 'UTC',
      },
    });
  });

  it('reads quiet hours and the time zone, and names what is wrong with bad ones', () => {
    const config = loadConfig({ PORTAL_QUIET_HOURS: '22:30-07:00', PORTAL_TIME_ZONE: 'Asia/Shanghai' });
    expect(config.governance.quietHours).toEqual({ startMinute: 22 * 60 + 30, endMinute: 7 * 60 });
    expect(config.governance.timeZone).toBe('Asia/Shanghai');
    expect(problemsOf({ PORTAL_QUIET_HOURS: '10pm-7am', PORTAL_TIME_ZONE: 'Mars/Olympus' })).toEqual([
      'PORTAL_QUIET_HOURS must be HH:MM-HH:MM in 24-hour time (e.g. 22:00-07:00), or empty',
      'PORTAL_TIME_ZONE must be an IANA time zone such as Europe/Berlin or Asia/Shanghai (got "Mars/Olympus")',
    ]);
    expect(problemsOf({ PORTAL_QUIET_HOURS: '08:00-08:00' })).toEqual(['PORTAL_QUIET_HOURS must not start and end at the same minute']);
  });

  it('reads the server timeouts and connection cap, and refuses a headers timeout above the request timeout', () => {
    const config = loadConfig({
      PORTAL_REQUEST_TIMEOUT_SECONDS: '600',
      PORTAL_HEADERS_TIMEOUT_SECONDS: '5',
      PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS: '10',
      PORTAL_MAX_CONNECTIONS: '50',
      PORTAL_LOGIN_MAX_CONCURRENT: '4',
    });
    expect(config.server).toEqual({ requestTimeoutMs: 600_000, headersTimeoutMs: 5000, keepAliveTimeoutMs: 10_000, maxConnections: 50 });
    expect(config.limits.loginMaxConcurrent).toBe(4);
    expect(() => loadConfig({ PORTAL_REQUEST_TIMEOUT_SECONDS: '10', PORTAL_HEADERS_TIMEOUT_SECONDS: '20' })).toThrow(
      /PORTAL_HEADERS_TIMEOUT_SECONDS must not be greater than PORTAL_REQUEST_TIMEOUT_SECONDS/,
    );
    expect(() => loadConfig({ PORTAL_MAX_CONNECTIONS: '0', PORTAL_LOGIN_MAX_CONCURRENT: 'many' })).toThrow(
      /PORTAL_LOGIN_MAX_CONCURRENT must be an integer[\s\S]*PORTAL_MAX_CONNECTIONS must be an integer/,
    );
  });

  it('reads the federation, outbox and stream settings', () => {
    const config = loadConfig({
      PORTAL_SECRET_KEY: 'A'.repeat(43),
      PORTAL_MAX_MESSAGE_BYTES: '100',
      PORTAL_CONTACT_REQUESTS_PER_MINUTE: '7',
      PORTAL_PUBLIC_REQUESTS_PER_MINUTE: '8',
      PORTAL_PENDING_REQUESTS_PER_PORTAL: '9',
      PORTAL_ALLOW_INSECURE_PEERS: 'true',
      PORTAL_ALLOW_PRIVATE_PEERS: '1',
      PORTAL_PEER_CONNECT_TIMEOUT_MS: '1000',
      PORTAL_PEER_TIMEOUT_MS: '2000',
      PORTAL_OUTBOX_RETRY_BASE_MS: '50',
      PORTAL_OUTBOX_RETRY_MAX_SECONDS: '60',
      PORTAL_OUTBOX_GIVE_UP_DAYS: '2',
      PORTAL_OUTBOX_CONCURRENCY: '4',
      PORTAL_OUTBOX_STRANGER_CONCURRENCY: '2',
      PORTAL_OUTBOX_STRANGER_TIMEOUT_MS: '700',
      PORTAL_OUTBOX_STRANGER_MAX_ATTEMPTS: '3',
      PORTAL_OUTBOX_STRANGER_GIVE_UP_MINUTES: '10',
    });
    expect(config).toMatchObject({
      secretKey: 'A'.repeat(43),
      limits: { maxMessageBytes: 100, contactRequestsPerMinute: 7, publicRequestsPerMinute: 8, pendingRequestsPerPortal: 9 },
      peers: { allowInsecure: true, allowPrivate: true, connectTimeoutMs: 1000, totalTimeoutMs: 2000 },
      outbox: {
        retryBaseMs: 50,
        retryMaxSeconds: 60,
        giveUpDays: 2,
        concurrency: 4,
        strangers: { concurrency: 2, timeoutMs: 700, maxAttempts: 3, giveUpMinutes: 10 },
      },
    });
    expect(() => loadConfig({ PORTAL_SECRET_KEY: 'too-short' })).toThrow(/PORTAL_SECRET_KEY must be 32 bytes/);
  });

  it('reads the file settings and refuses chunk sizes out of range', () => {
    const config = loadConfig({
      PORTAL_MAX_FILE_BYTES: '1000000',
      PORTAL_FILE_CHUNK_BYTES: '65536',
      PORTAL_FILE_MIN_CHUNK_BYTES: '32768',
      PORTAL_FILE_MAX_CHUNKS: '100',
      PORTAL_CONTACT_FILE_QUOTA_BYTES: '5000000',
      PORTAL_FILE_INCOMPLETE_EXPIRE_HOURS: '2',
      PORTAL_FILE_SENT_RETENTION_HOURS: '0',
      PORTAL_FILE_SWEEP_INTERVAL_SECONDS: '30',
    });
    expect(config.files).toEqual({
      maxFileBytes: 1000000,
      chunkBytes: 65536,
      minChunkBytes: 32768,
      maxChunksPerFile: 100,
      contactQuotaBytes: 5000000,
      incompleteExpireHours: 2,
      sentRetentionHours: 0,
      sweepIntervalSeconds: 30,
    });
    expect(() => loadConfig({ PORTAL_FILE_CHUNK_BYTES: '100' })).toThrow(/PORTAL_FILE_CHUNK_BYTES must be an integer from 1024/);
    expect(() => loadConfig({ PORTAL_FILE_CHUNK_BYTES: String(128 * 1048576) })).toThrow(/PORTAL_FILE_CHUNK_BYTES/);
    expect(() => loadConfig({ PORTAL_FILE_MIN_CHUNK_BYTES: '512' })).toThrow(/PORTAL_FILE_MIN_CHUNK_BYTES must be an integer from 1024/);
    expect(() => loadConfig({ PORTAL_FILE_CHUNK_BYTES: '65536' })).toThrow(
      /PORTAL_FILE_CHUNK_BYTES \(65536\) must be at least PORTAL_FILE_MIN_CHUNK_BYTES \(262144\)/,
    );
    expect(() => loadConfig({ PORTAL_FILE_MAX_CHUNKS: '0' })).toThrow(/PORTAL_FILE_MAX_CHUNKS/);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORTAL_PORT: '9000',
      PORTAL_HOST: '0.0.0.0',
      PORTAL_PUBLIC_URL: 'https://portal.example.com/',
      PORTAL_DATA_DIR: '/tmp/portal-data',
      PORTAL_DATABASE_URL: 'postgres://u:p@db:5432/portal',
      PORTAL_LOG_LEVEL: 'debug',
      PORTAL_OWNER_KEY: VALID_KEY,
      PORTAL_CONSOLE_PASSWORD: 'twelve-chars',
      PORTAL_AGENT_NAME: 'Ada',
      PORTAL_OWNER_NAME: 'Lovelace',
      PORTAL_TRUST_PROXY: 'yes',
      PORTAL_MAX_BODY_BYTES: '4096',
      PORTAL_LOGIN_MAX_ATTEMPTS: '3',
      PORTAL_LOGIN_WINDOW_SECONDS: '60',
      PORTAL_SESSION_TTL_HOURS: '2',
      PORTAL_MIN_FREE_DISK_MB: '0',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      publicUrl: 'https://portal.example.com',
      dataDir: '/tmp/portal-data',
      databaseUrl: 'postgres://u:p@db:5432/portal',
      logLevel: 'debug',
      initialOwnerKey: VALID_KEY,
      initialConsolePassword: 'twelve-chars',
      initialAgentName: 'Ada',
      initialOwnerName: 'Lovelace',
      trustProxy: true,
      limits: { maxBodyBytes: 4096, loginMaxAttempts: 3, loginWindowSeconds: 60, sessionTtlHours: 2, minFreeDiskBytes: 0 },
    });
  });

  it('documents every variable it reads in CONFIG_VARIABLES', () => {
    const read = new Set<string>();
    const spy = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadConfig(spy);
    expect([...read].sort()).toEqual(Object.keys(CONFIG_VARIABLES).sort());
  });

  it('treats empty and blank values as unset', () => {
    expect(loadConfig({ PORTAL_PORT: '', PORTAL_LOG_LEVEL: '  ', PORTAL_OWNER_KEY: '' }).port).toBe(8080);
  });

  it('derives the public URL from host and port, showing 127.0.0.1 for a wildcard host', () => {
    expect(loadConfig({ PORTAL_HOST: '0.0.0.0', PORTAL_PORT: '9001' }).publicUrl).toBe('http://127.0.0.1:9001');
    expect(loadConfig({ PORTAL_HOST: '::' }).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ PORTAL_HOST: '::1' }).publicUrl).toBe('http://[::1]:8080');
    expect(loadConfig({ PORTAL_HOST: 'portal.lan' }).publicUrl).toBe('http://portal.lan:8080');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['PORTAL_PORT', 'abc', /PORTAL_PORT must be an integer from 0 to 65535 \(got "abc"\)/],
    ['PORTAL_PORT', '65536', /PORTAL_PORT must be an integer/],
    ['PORTAL_PORT', '-1', /PORTAL_PORT must be an integer/],
    ['PORTAL_PORT', '80.5', /PORTAL_PORT must be an integer/],
    ['PORTAL_LOG_LEVEL', 'loud', /PORTAL_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    ['PORTAL_TRUST_PROXY', 'maybe', /PORTAL_TRUST_PROXY must be true or false/],
    ['PORTAL_DATABASE_URL', 'mysql://db/portal', /PORTAL_DATABASE_URL must be empty \(SQLite\) or a postgres:\/\/ URL/],
    ['PORTAL_MAX_BODY_BYTES', '10', /PORTAL_MAX_BODY_BYTES must be an integer from 1024/],
    ['PORTAL_LOGIN_MAX_ATTEMPTS', '0', /PORTAL_LOGIN_MAX_ATTEMPTS must be an integer from 1/],
    ['PORTAL_LOGIN_WINDOW_SECONDS', '1e3', /PORTAL_LOGIN_WINDOW_SECONDS must be an integer/],
    ['PORTAL_SESSION_TTL_HOURS', '0', /PORTAL_SESSION_TTL_HOURS must be an integer from 1/],
    ['PORTAL_MIN_FREE_DISK_MB', 'lots', /PORTAL_MIN_FREE_DISK_MB must be an integer/],
    ['PORTAL_PUBLIC_URL', 'portal.example.com', /PORTAL_PUBLIC_URL must be an http\(s\) URL/],
    ['PORTAL_PUBLIC_URL', 'ftp://portal.example.com', /PORTAL_PUBLIC_URL must be an http\(s\) URL/],
    ['PORTAL_PUBLIC_URL', 'https://user:pw@portal.example.com', /PORTAL_PUBLIC_URL .*without credentials/],
    ['PORTAL_PUBLIC_URL', 'https://portal.example.com/?a=1', /PORTAL_PUBLIC_URL .*query/],
    ['PORTAL_PUBLIC_URL', 'https://portal.example.com/#top', /PORTAL_PUBLIC_URL .*fragment/],
    ['PORTAL_OWNER_KEY', 'ap2p_o_short', /PORTAL_OWNER_KEY must be ap2p_o_ followed by at least 43/],
    ['PORTAL_OWNER_KEY', `ap2p_c_${'A'.repeat(43)}`, /PORTAL_OWNER_KEY must be ap2p_o_/],
    ['PORTAL_OWNER_KEY', `ap2p_o_${'A'.repeat(42)}!`, /PORTAL_OWNER_KEY must be ap2p_o_/],
    ['PORTAL_CONSOLE_PASSWORD', 'short', /PORTAL_CONSOLE_PASSWORD must be 12 to 256 characters long/],
    ['PORTAL_CONSOLE_PASSWORD', 'x'.repeat(257), /PORTAL_CONSOLE_PASSWORD must be 12 to 256 characters long/],
  ];
  for (const [name, value, message] of bad) {
    it(`rejects ${name}=${value.length > 40 ? `${value.slice(0, 20)}…` : value}, naming the variable`, () => {
      const problems = problemsOf({ [name]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(message);
    });
  }

  it('lists every problem at once, in the error message too', () => {
    const env = { PORTAL_PORT: 'x', PORTAL_LOG_LEVEL: 'loud', PORTAL_OWNER_KEY: 'nope', PORTAL_PUBLIC_URL: 'nope' };
    const problems = problemsOf(env);
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(Object.keys(env).sort());
    try {
      loadConfig(env);
    } catch (error) {
      for (const name of Object.keys(env)) expect((error as Error).message).toContain(name);
    }
  });

  it('never echoes a rejected owner key or password back', () => {
    const key = `ap2p_o_${'s'.repeat(20)}`;
    const problems = problemsOf({ PORTAL_OWNER_KEY: key, PORTAL_CONSOLE_PASSWORD: 'secret-pw' });
    expect(problems.join('\n')).not.toContain(key);
    expect(problems.join('\n')).not.toContain('secret-pw');
    const [urlProblem] = problemsOf({ PORTAL_PUBLIC_URL: 'https://admin:hunter2@portal.example.com' });
    expect(urlProblem).toMatch(/^PORTAL_PUBLIC_URL /);
    expect(urlProblem).not.toContain('hunter2');
  });

  it('accepts the owner-key boundaries: exactly 43 URL-safe characters, and longer', () => {
    expect(OWNER_KEY_PATTERN.test(`ap2p_o_${'a-_Z9'.repeat(9).slice(0, 43)}`)).toBe(true);
    expect(OWNER_KEY_PATTERN.test(`ap2p_o_${'a'.repeat(42)}`)).toBe(false);
    expect(loadConfig({ PORTAL_OWNER_KEY: `ap2p_o_${'b'.repeat(80)}` }).initialOwnerKey).toHaveLength(87);
  });

  it('accepts a console password of exactly 12 and of 256 characters', () => {
    expect(loadConfig({ PORTAL_CONSOLE_PASSWORD: 'x'.repeat(12) }).initialConsolePassword).toHaveLength(12);
    expect(loadConfig({ PORTAL_CONSOLE_PASSWORD: 'x'.repeat(256) }).initialConsolePassword).toHaveLength(256);
  });

  it('normalises the public URL (no trailing slash) and keeps a path prefix', () => {
    expect(loadConfig({ PORTAL_PUBLIC_URL: 'https://Portal.Example.com/' }).publicUrl).toBe('https://portal.example.com');
    expect(loadConfig({ PORTAL_PUBLIC_URL: 'https://example.com/portal/' }).publicUrl).toBe('https://example.com/portal');
  });

  describe('PORTAL_CA_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap2p-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('is unset by default: no extra authorities', () => {
      expect(loadConfig({}).peers.extraCa).toBeUndefined();
      expect(loadConfig({ PORTAL_CA_FILE: '  ' }).peers.extraCa).toBeUndefined();
    });

    it('reads every certificate of a PEM file, ignoring the text around them', () => {
      const path = file('two.pem', `# our CAs\n${CA_PEM}\n\nsubject=second\n${CA_PEM}\n`);
      expect(loadConfig({ PORTAL_CA_FILE: path }).peers.extraCa).toEqual({ path, certificates: [CA_PEM, CA_PEM] });
      // A relative path is read against the working directory, like the other paths.
      const absolute = file('one.pem', `${CA_PEM}\r\n`);
      expect(loadConfig({ PORTAL_CA_FILE: relative(process.cwd(), absolute) }).peers.extraCa).toEqual({
        path: absolute,
        certificates: [CA_PEM],
      });
    });

    it('refuses a missing file, naming the variable and the path', () => {
      const path = join(dir, 'missing.pem');
      expect(problemsOf({ PORTAL_CA_FILE: path })).toEqual([
        `PORTAL_CA_FILE must name a readable PEM file of CA certificates (${path}: ENOENT)`,
      ]);
      expect(problemsOf({ PORTAL_CA_FILE: dir })).toEqual([
        `PORTAL_CA_FILE must name a readable PEM file of CA certificates (${dir}: EISDIR)`,
      ]);
    });

    it('refuses a file that is not PEM certificates', () => {
      expect(problemsOf({ PORTAL_CA_FILE: file('empty.pem', '') })).toEqual([
        expect.stringMatching(/^PORTAL_CA_FILE must be a PEM file of CA certificates .* holds none$/),
      ]);
      expect(problemsOf({ PORTAL_CA_FILE: file('der.crt', '\u0030\u0082\u0001\u008a binary') })).toEqual([
        expect.stringMatching(/holds none$/),
      ]);
      const broken = CA_PEM.replace('MIIBijCCAS', 'MIIBijXXXX');
      expect(problemsOf({ PORTAL_CA_FILE: file('broken.pem', `${CA_PEM}\n${broken}`) })).toEqual([
        expect.stringMatching(/^PORTAL_CA_FILE: certificate 2 of 2 in .*broken\.pem does not parse$/),
      ]);
      const cut = CA_PEM.replace('-----END CERTIFICATE-----', '');
      expect(problemsOf({ PORTAL_CA_FILE: file('cut.pem', `${cut}\n${CA_PEM}`) })).toEqual([
        expect.stringMatching(/cut\.pem has a certificate without its -----END CERTIFICATE----- line$/),
      ]);
    });

    it('refuses a file holding a private key, without echoing it', () => {
      const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
      const [problem, ...rest] = problemsOf({ PORTAL_CA_FILE: file('bundle.pem', `${CA_PEM}\n${key}`) });
      expect(rest).toEqual([]);
      expect(problem).toMatch(/^PORTAL_CA_FILE must hold certificates only, but .*bundle\.pem holds a private key$/);
      expect(problem).not.toContain('MIGHAgEA');
    });
  });
});
