import { Injectable } from '@nestjs/common';

/**
 * The peer Portal behind a contact key, as far as authentication needs to know it. The feature that
 * owns contacts resolves the keys (see PeerCredentialsService.register); auth only carries the answer.
 */
export interface PeerIdentity {
  id: number;
  status: string;
  portalUrl: string;
  agentName: string;
}

/** The contact a contact key belongs to while that key is in force, or null. */
export type PeerKeyResolver = (key: string) => Promise<PeerIdentity | null>;

/**
 * Where contact keys are resolved. Auth does not know contacts: the contacts feature registers its
 * resolver here when it starts, and until then (or without it) no contact key is accepted.
 */
@Injectable()
export class PeerCredentialsService {
  private resolver: PeerKeyResolver | null = null;

  register(resolver: PeerKeyResolver): void {
    if (this.resolver) throw new Error('a contact key resolver is already registered');
    this.resolver = resolver;
  }

  async resolve(key: string): Promise<PeerIdentity | null> {
    return this.resolver ? this.resolver(key) : null;
  }
}
