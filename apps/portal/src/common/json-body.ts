import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';

/** A request whose body's SHA-256 was taken as it was read (signed calls, which carry Content-Digest). */
export interface HashedBodyRequest {
  bodySha256?: Buffer;
}

/** The SHA-256 of the JSON body as received, when the request carried Content-Digest (else undefined). */
export function bodySha256Of(request: FastifyRequest): Buffer | undefined {
  return (request as FastifyRequest & HashedBodyRequest).bodySha256;
}

/** Deepest nesting of arrays and objects a JSON body may have. No request of the API needs more than a few levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when the JSON text nests arrays/objects deeper than maxDepth. One pass over the text that
 * skips strings; it runs before JSON.parse, so a body nested thousands of levels deep never reaches
 * class-transformer (whose recursion would overflow the stack).
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * Replaces fastify's JSON body parser by the same parser (prototype poisoning refused, empty body
 * refused, bodyLimit kept) behind a nesting-depth check: 400 with a clear message beyond maxDepth.
 * A request that carries Content-Digest (a signed Portal-to-Portal call) has the SHA-256 of its raw
 * bytes taken here, so the digest is checked against exactly what arrived.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (request.headers['content-digest'] !== undefined) {
      (request as FastifyRequest & HashedBodyRequest).bodySha256 = createHash('sha256').update(bytes).digest();
    }
    const text = bytes.toString('utf8');
    if (jsonNestsDeeperThan(text, maxDepth)) {
      done(new BadRequestException(`The JSON body nests arrays and objects too deeply (at most ${maxDepth} levels)`), undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
