import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { bodySha256Of } from '../common/json-body';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { type IncomingCall, requireSignature, SignatureRefusal, type VerifiedCall, verifyCall } from '../common/http-signatures';
import { NonceStore } from './nonce-store.service';

/** The 401 a refused signature answers: the reason in words, and its code in details.code. */
export function signatureUnauthorized(refusal: SignatureRefusal): UnauthorizedException {
  return new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: refusal.message, details: { code: refusal.code } });
}

/**
 * Checks the signature of an incoming Portal-to-Portal call: the RFC 9421 signature over this
 * Portal's own URL for the request (so a call signed for another Portal is refused), the body
 * against its Content-Digest, the clock-skew allowance, and the nonce against replays.
 */
@Injectable()
export class CallVerifier {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    private readonly nonces: NonceStore,
  ) {}

  /** Verifies, or throws a SignatureRefusal (signatureUnauthorized turns it into the 401). */
  async verify(request: FastifyRequest, resolveKey: (keyId: string) => Promise<KeyObject>): Promise<VerifiedCall> {
    const skew = this.config.identity.clockSkewSeconds;
    // Before the body's hash is asked for: an unsigned call with a body has no Content-Digest either.
    requireSignature(request.headers);
    const verified = await verifyCall(this.describe(request), {
      resolveKey,
      nowSeconds: Math.floor(Date.now() / 1000),
      clockSkewSeconds: skew,
    });
    const keepUntil = new Date((verified.expires + skew) * 1000);
    if (!(await this.nonces.record(verified.keyId, verified.nonce, keepUntil))) {
      throw new SignatureRefusal('signature_replayed', 'This signed request was already received (its nonce is used): a replay is refused');
    }
    return verified;
  }

  private describe(request: FastifyRequest): IncomingCall {
    return {
      method: request.method,
      targetUri: this.config.publicUrl.replace(/\/+$/, '') + request.url,
      headers: request.headers,
      bodySha256: this.bodyHash(request),
    };
  }

  /**
   * The hash the Content-Digest must match. JSON bodies were hashed as they were read; a file chunk
   * is streamed to disk and kept only when it matches its X-Chunk-Sha256, so the digest must name
   * that same hash (no second copy of the chunk is made to hash it again).
   */
  private bodyHash(request: FastifyRequest): Buffer | 'none' {
    const hashed = bodySha256Of(request);
    if (hashed) return hashed;
    const length = Number(request.headers['content-length'] ?? 0);
    const hasBody = length > 0 || request.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return 'none';
    const chunkHash = request.headers['x-chunk-sha256'];
    if (
      String(request.headers['content-type'] ?? '').startsWith('application/octet-stream') &&
      typeof chunkHash === 'string' &&
      /^[0-9a-f]{64}$/i.test(chunkHash)
    ) {
      return Buffer.from(chunkHash, 'hex');
    }
    throw new SignatureRefusal('signature_incomplete', 'A request with a body must carry Content-Digest with a sha-256 member (RFC 9530)');
  }
}
