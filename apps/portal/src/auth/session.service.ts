import { HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, LessThan, MoreThan, Not, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { RateLimiter } from '../common/rate-limiter';
import { hashPassword, randomToken, sha256Hex, verifyPassword } from '../common/secrets';
import { ConsoleSession } from './entities/console-session.entity';
import { Setting } from './entities/setting.entity';

export const PASSWORD_SETTING = 'console_password_hash';

export interface NewSession {
  session: ConsoleSession;
  token: string;
}

@Injectable()
export class SessionService {
  private readonly loginLimiter: RateLimiter;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(ConsoleSession) private readonly sessions: Repository<ConsoleSession>,
    @InjectRepository(Setting) private readonly settings: Repository<Setting>,
    private readonly dataSource: DataSource,
  ) {
    this.loginLimiter = new RateLimiter(config.limits.loginMaxAttempts, config.limits.loginWindowSeconds * 1000);
  }

  /** Checks the password and opens a session. Failed attempts are limited per client address. */
  async login(password: string, clientAddress: string, userAgent: string): Promise<NewSession> {
    const wait = this.loginLimiter.retryAfter(clientAddress);
    if (wait > 0) throw tooManyAttempts(wait);
    const stored = await this.settings.findOne({ where: { key: PASSWORD_SETTING } });
    if (!stored || !(await verifyPassword(password, stored.value))) {
      this.loginLimiter.hit(clientAddress);
      throw new UnauthorizedException('Wrong password');
    }
    this.loginLimiter.reset(clientAddress);
    await this.sessions.delete({ expiresAt: LessThan(new Date()) });
    return this.open(userAgent);
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
    if (!stored || !(await verifyPassword(currentPassword, stored.value))) {
      throw new HttpException(
        { statusCode: 400, error: 'Bad Request', message: 'currentPassword is wrong' },
        HttpStatus.BAD_REQUEST,
      );
    }
    const hash = await hashPassword(newPassword);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Setting, { key: PASSWORD_SETTING }, { value: hash, updatedAt: new Date() });
      await manager.delete(ConsoleSession, { id: Not(sessionId) });
    });
  }

  /** Sets the password on the first start. */
  async initPassword(password: string): Promise<void> {
    await this.settings.save({ key: PASSWORD_SETTING, value: await hashPassword(password), updatedAt: new Date() });
  }

  private async open(userAgent: string): Promise<NewSession> {
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

function tooManyAttempts(retryAfterSeconds: number): HttpException {
  return new HttpException(
    {
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Too many failed logins; try again in ${retryAfterSeconds} s`,
      details: { retryAfterSeconds },
    },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
