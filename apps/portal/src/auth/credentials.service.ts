import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { CONTACT_KEY_PREFIX, OWNER_KEY_PREFIX } from '../common/secrets';
import { KeysService } from './keys.service';
import { PeerCredentialsService } from './peer-credentials.service';
import { type Principal, SESSION_COOKIE } from './principal';
import { SessionService } from './session.service';

export type Credential = { type: 'key'; value: string } | { type: 'session'; value: string };

/** Finds the credential in a request's headers and turns it into a principal. */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly keys: KeysService,
    private readonly sessions: SessionService,
    private readonly peers: PeerCredentialsService,
  ) {}

  /** Authorization: Bearer …, then X-Api-Key, then the console session cookie. */
  extract(headers: IncomingHttpHeaders): Credential | null {
    const authorization = headers.authorization;
    if (typeof authorization === 'string' && authorization.trim() !== '') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return { type: 'key', value: match ? match[1] : '' };
    }
    const apiKey = headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.trim() !== '') return { type: 'key', value: apiKey.trim() };
    const token = readCookie(headers.cookie, SESSION_COOKIE);
    if (token) return { type: 'session', value: token };
    return null;
  }

  async resolve(credential: Credential): Promise<Principal | null> {
    if (credential.type === 'session') {
      const session = await this.sessions.findValid(credential.value);
      return session ? { kind: 'owner', sessionId: session.id } : null;
    }
    const value = credential.value;
    if (value.length > 512) return null;
    if (value.startsWith(OWNER_KEY_PREFIX)) {
      const key = await this.keys.findUsable(value);
      return key ? { kind: 'agent', keyId: key.id } : null;
    }
    if (value.startsWith(CONTACT_KEY_PREFIX)) {
      const contact = await this.peers.resolve(value);
      return contact ? { kind: 'contact', contactId: contact.id, contactStatus: contact.status, contact } : null;
    }
    return null;
  }
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}
