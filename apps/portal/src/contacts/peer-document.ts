import { PROTOCOL_VERSION } from '../common/version';
import { identityOfPublicKey, type PublicIdentity, publicKeyFromRaw, verifyRotation } from '../common/identity-keys';
import type { RotationLink } from '../identity/identity.service';

/* A peer Portal's /.well-known/agent-p2p document: reading it, and following its rotation chain. */

/** A peer's identity as its /.well-known/agent-p2p document gives it. */
export interface PeerDocument {
  portalUrl: string;
  protocolVersion: number;
  identity: PublicIdentity;
  rotations: RotationLink[];
}

/** The peer's Portal cannot be taken as a contact: too old, or its document is unusable. Permanent. */
export class PeerIdentityRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerIdentityRefused';
  }
}

export function fingerprintOfStored(publicKey: string | null): string {
  return publicKey ? identityOfPublicKey(publicKey).fingerprint : '';
}

/** True when the document's rotations lead, link by link, each signed by the key before it, from the pinned key to its current key. */
export function rotationChainValid(portalUrl: string, pinnedKeyId: string, pinnedPublicKey: string, document: PeerDocument): boolean {
  let current = identityOfPublicKey(pinnedPublicKey);
  if (current.keyId !== pinnedKeyId) return false;
  const start = document.rotations.findIndex((link) => link.fromKeyId === pinnedKeyId);
  if (start < 0) return false;
  for (const link of document.rotations.slice(start)) {
    if (link.fromKeyId !== current.keyId) return false;
    const nextPublic =
      link.toKeyId === document.identity.keyId
        ? document.identity.publicKey
        : document.rotations.find((l) => l.fromKeyId === link.toKeyId)?.fromPublicKey;
    if (!nextPublic) return false;
    const next = identityOfPublicKey(nextPublic);
    if (next.keyId !== link.toKeyId || !verifyRotation(portalUrl, current, next, link.proof)) return false;
    current = next;
    if (current.keyId === document.identity.keyId) return true;
  }
  return false;
}

/** Checks a peer's well-known document; throws PeerIdentityRefused (permanent) or PeerError (try again). */
export function parseDocument(portalUrl: string, body: unknown): PeerDocument {
  const doc = body as { protocol?: unknown; protocolVersion?: unknown; portalUrl?: unknown; identity?: Record<string, unknown> } | null;
  if (!doc || typeof doc !== 'object' || doc.protocol !== 'agent-p2p') {
    throw new PeerIdentityRefused(`${portalUrl} does not answer as an Agent P2P Portal at /.well-known/agent-p2p`);
  }
  const version = typeof doc.protocolVersion === 'number' ? doc.protocolVersion : 0;
  if (version < PROTOCOL_VERSION) {
    throw new PeerIdentityRefused(
      `${portalUrl} speaks Agent P2P protocol version ${version}; this Portal speaks version ${PROTOCOL_VERSION} and needs ${PROTOCOL_VERSION} or later (every Portal-to-Portal call signed with the Portal's identity key). Its owner must upgrade it.`,
    );
  }
  if (typeof doc.portalUrl !== 'string' || doc.portalUrl.replace(/\/+$/, '') !== portalUrl.replace(/\/+$/, '')) {
    throw new PeerIdentityRefused(
      `${portalUrl} describes itself as ${String(doc.portalUrl).slice(0, 200)}: a Portal must publish its own URL`,
    );
  }
  const identity = doc.identity;
  const publicKey = typeof identity?.publicKey === 'string' ? identity.publicKey : '';
  if (identity?.alg !== 'ed25519' || !publicKeyFromRaw(publicKey)) {
    throw new PeerIdentityRefused(`${portalUrl} publishes no usable Ed25519 identity key`);
  }
  const derived = identityOfPublicKey(publicKey);
  if (identity.keyId !== derived.keyId) throw new PeerIdentityRefused(`${portalUrl} publishes a key id that does not belong to its key`);
  const rotations = Array.isArray(identity.rotations) ? (identity.rotations as unknown[]).filter(isRotationLink).slice(-10) : [];
  return { portalUrl, protocolVersion: version, identity: derived, rotations };
}

function isRotationLink(value: unknown): value is RotationLink {
  const link = value as Record<string, unknown> | null;
  return (
    !!link &&
    typeof link.fromKeyId === 'string' &&
    typeof link.fromPublicKey === 'string' &&
    typeof link.toKeyId === 'string' &&
    typeof link.proof === 'string' &&
    link.proof.length <= 100 &&
    link.fromPublicKey.length <= 64
  );
}
