import { HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, LessThan, MoreThan, Not, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { ConcurrencyGate } from '../common/concurrency-gate';
import { RateLimiter } from '../common/rate-limiter';
import { tooManyRequests } from '../common/too-many-requests';
import { hashPassword, randomToken, sha256Hex, verifyPassword } from '../common/secrets';
import { ConsoleSession } from './entities/console-session.entity';
import { Setting } from './entities/setting.entity';

export const PASSWORD_SETTING = 'console_password_hash';

export interface NewSession {
  session: ConsoleSession;
  token: string;
  /** The login-device token for this browser (the one it sent, or a new one): see login(). */
  deviceToken: string;
}

@Injectable()
export class SessionService {
  /** Failed password checks per login key: address:…, device:… (login) and session:… (password change). */
  private readonly passwordLimiter: RateLimiter;
  /** scrypt runs on libuv's small thread pool, which file and DNS work share: never fill it. */
  private readonly passwordChecks: ConcurrencyGate;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(ConsoleSession) private readonly sessions: Repository<ConsoleSession>,
    @InjectRepository(Setting) private readonly settings: Repository<Setting>,
    private readonly dataSource: DataSource,
  ) {
    this.passwordLimiter = new RateLimiter(config.limits.loginMaxAttempts, config.limits.loginWindowSeconds * 1000);
    this.passwordChecks = new ConcurrencyGate(config.limits.loginMaxConcurrent);
  }

  /**
   * Checks the password and opens a session. Attempts are limited per client address, or per login
   * device when the request carries a device token this Portal issued on an earlier successful login
   * (so an attacker behind the same address, e.g. a proxy without PORTAL_TRUST_PROXY, cannot lock a
   * known browser out). Each attempt is counted before the password is hashed, and at most
   * loginMaxConcurrent hashes run at once: a flood gets 429 at once instead of occupying the
   * worker threads every request needs.
   */
  async login(password: string, clientAddress: string, deviceToken: string | null, userAgent: string): Promise<NewSession> {
    const stored = await this.settings.findOne({ where: { key: PASSWORD_SETTING } });
    const deviceId = stored && deviceToken ? verifyDeviceToken(deviceToken, stored.value) : null;
    const ok = await this.checkPassword(deviceId ? `device:${deviceId}` : `address:${clientAddress}`, password, stored?.value, (wait) =>
      tooManyRequests(`Too many failed logins; try again in ${wait} s`, wait),
    );
    if (!ok || !stored) throw new UnauthorizedException('Wrong password');
    await this.sessions.delete({ expiresAt: LessThan(new Date()) });
    const opened = await this.open(userAgent);
    return { ...opened, deviceToken: deviceId && deviceToken ? deviceToken : newDeviceToken(stored.value) };
  }

  async findValid(token: string): Promise<ConsoleSession | null> {
    if (token.length > 128) return null;
    return this.sessions.findOne({ where: { tokenHash: sha256Hex(token), expiresAt: MoreThan(new Date()) } });
  }

  async get(id: string): Promise<ConsoleSession | null> {
    return this.sessions.findOne({ where: { id } });
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.delete({ id: sessionId });
  }

  /** Changes the console password and ends every other session. */
  async changePassword(sessionId: string, currentPassword: string, newPassword: string): Promise<void> {
    const stored = await this.settings.findOne({ where: { key: PASSWORD_SETTING } });
    // A session holder gets the login's budget of wrong guesses, not an unlimited password oracle.
    const ok = await this.checkPassword(`session:${sessionId}`, currentPassword, stored?.value, (wait) =>
      tooManyRequests(`Too many wrong current passwords; try again in ${wait} s`, wait),
    );
    if (!ok || !stored) {
      throw new HttpException({ statusCode: 400, error: 'Bad Request', message: 'currentPassword is wrong' }, HttpStatus.BAD_REQUEST);
    }
    const hash = await this.hashInGate(newPassword);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Setting, { key: PASSWORD_SETTING }, { value: hash, updatedAt: new Date() });
      await manager.delete(ConsoleSession, { id: Not(sessionId) });
    });
  }

  /** Sets the password on the first start. */
  async initPassword(password: string): Promise<void> {
    await this.settings.save({ key: PASSWORD_SETTING, value: await hashPassword(password), updatedAt: new Date() });
  }

  /**
   * One rate-limited password check under `limitKey`. Nothing awaits between the limit check, the
   * count and taking a place in the gate, so parallel requests cannot slip past the limit together.
   * A success clears the key's failures.
   */
  private async checkPassword(
    limitKey: string,
    password: string,
    storedHash: string | undefined,
    limited: (retryAfterSeconds: number) => HttpException,
  ): Promise<boolean> {
    const wait = this.passwordLimiter.retryAfter(limitKey);
    if (wait > 0) throw limited(wait);
    const release = this.passwordChecks.tryEnter();
    if (!release) throw passwordChecksBusy();
    this.passwordLimiter.hit(limitKey);
    let ok: boolean;
    try {
      ok = storedHash !== undefined && (await verifyPassword(password, storedHash));
    } finally {
      release();
    }
    if (ok) this.passwordLimiter.reset(limitKey);
    return ok;
  }

  private hashInGate(password: string): Promise<string> {
    return this.passwordChecks.run(
      () => hashPassword(password),
      () => {
        throw passwordChecksBusy();
      },
    );
  }

  private async open(userAgent: string): Promise<Omit<NewSession, 'deviceToken'>> {
    const token = randomToken();
    const now = new Date();
    const session = this.sessions.create({
      id: randomUUID(),
      tokenHash: sha256Hex(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.limits.sessionTtlHours * 3_600_000),
      userAgent: userAgent.slice(0, 200),
    });
    await this.sessions.insert(session);
    return { session, token };
  }
}

function passwordChecksBusy(): HttpException {
  return tooManyRequests('Too many password checks at once; try again in 1 s', 1);
}

/*
 * Login-device tokens: `<id>.<mac>`, the MAC keyed by a secret derived from the stored password
 * hash. Only this Portal can issue one, only after a successful login, and changing the password
 * retires them all. A token is not a credential: it only selects whose failure budget a login uses.
 */
const DEVICE_ID = /^[A-Za-z0-9_-]{22}$/;

function deviceMac(id: string, storedHash: string): Buffer {
  const key = createHash('sha256').update(`agent-p2p login device\0${storedHash}`).digest();
  return createHmac('sha256', key).update(id).digest();
}

function newDeviceToken(storedHash: string): string {
  const id = randomToken(16);
  return `${id}.${deviceMac(id, storedHash).toString('base64url')}`;
}

/** The device id of a token this Portal issued under the current password, or null. */
export function verifyDeviceToken(token: string, storedHash: string): string | null {
  if (token.length > 100) return null;
  const [id, mac, extra] = token.split('.');
  if (extra !== undefined || !id || !mac || !DEVICE_ID.test(id)) return null;
  const expected = deviceMac(id, storedHash);
  const actual = Buffer.from(mac, 'base64url');
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? id : null;
}
