import { applyDecorators, type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { RateLimiter } from './rate-limiter';
import { countOrRefuse } from './too-many-requests';

const RATE_LIMIT_METADATA = 'agent-p2p:rate-limit';

/** A route's budget of calls per client address. */
export interface RateLimitOptions {
  /** Names the budget: routes declaring the same name in one module share it. */
  name: string;
  /** Calls allowed per window, from the configuration. */
  limit: (config: PortalConfig) => number;
  /** Length of the window in ms, from the configuration. */
  windowMs: (config: PortalConfig) => number;
  /** The start of the 429 message; "; retry in N s" follows. */
  message: string;
}

/**
 * Limits the calls to a route per client address (request.ip, so behind a proxy only with
 * PORTAL_TRUST_PROXY). Each call is counted when it is let through, before its input is read.
 * Limits that depend on the body (or on a password check) stay with the service, which answers
 * with the same tooManyRequests().
 */
export function RateLimit(options: RateLimitOptions): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(RATE_LIMIT_METADATA, options), UseGuards(RateLimitGuard));
}

@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const options = this.reflector.getAllAndOverride<RateLimitOptions | undefined>(RATE_LIMIT_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!options || context.getType() !== 'http') return true;
    const limiter = this.limiterFor(options);
    const client = context.switchToHttp().getRequest<FastifyRequest>().ip;
    countOrRefuse(limiter, client, (wait) => `${options.message}; retry in ${wait} s`);
    return true;
  }

  private limiterFor(options: RateLimitOptions): RateLimiter {
    let limiter = this.limiters.get(options.name);
    if (!limiter) {
      limiter = new RateLimiter(options.limit(this.config), options.windowMs(this.config));
      this.limiters.set(options.name, limiter);
    }
    return limiter;
  }
}
