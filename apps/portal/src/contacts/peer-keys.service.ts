import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { DataSource, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../federation/outbox.service';
import { describeAnswer, isRetryableStatus, PeerClient, PeerError } from '../federation/outbox.service';
import { CallVerifier, signatureUnauthorized } from '../identity/call-verifier.service';
import { SignatureRefusal } from '../common/http-signatures';
import { identityOfPublicKey, type PublicIdentity, publicKeyFromRaw, sameFingerprint, verifyRotation } from '../common/identity-keys';
import { Contact } from './entities/contact.entity';
import { fingerprintOfStored, parseDocument, type PeerDocument, PeerIdentityRefused, rotationChainValid } from './peer-document';

export { PeerIdentityRefused } from './peer-document';

/** A key the peer used before a rotation stays accepted this long after it (calls already signed, other instances). */
export const PREVIOUS_KEY_GRACE_MS = 10 * 60_000;
/** A peer's well-known document fetched to resolve an unknown key is reused this long (a burst of calls fetches once). */
const DOCUMENT_CACHE_MS = 30_000;
const DOCUMENT_TIMEOUT_MS = 5_000;
/** …but one that does not show the key a call is signed with is fetched again once it is this old (at most that often per peer). */
const DOCUMENT_REFRESH_MS = 2_000;

/**
 * The identity keys of peers: fetched from their /.well-known/agent-p2p over HTTPS and pinned at the
 * handshake (trust on first use, bound to the Portal URL); every signed call from a contact checked
 * against the pinned key; rotations signed by the pinned key followed; any other change of key
 * refused and reported to both owners until this owner re-pins.
 */
@Injectable()
export class PeerKeysService {
  private readonly logger = new Logger(PeerKeysService.name);
  private readonly documents = new Map<string, { at: number; document: Promise<PeerDocument> }>();

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly dataSource: DataSource,
    private readonly peers: PeerClient,
    private readonly verifier: CallVerifier,
    private readonly events: EventsService,
    private readonly outbox: OutboxService,
  ) {}

  // ---- fetching a peer's identity -----------------------------------------------------------------

  /**
   * The peer's well-known document, checked: it names the URL it was fetched from, speaks this
   * protocol version or later, and carries a usable Ed25519 identity. Over HTTPS (unless insecure
   * peers are allowed for tests), like every call to a peer.
   */
  async fetchDocument(portalUrl: string): Promise<PeerDocument> {
    const response = await this.peers.send({ portalUrl, method: 'GET', path: '/.well-known/agent-p2p', timeoutMs: DOCUMENT_TIMEOUT_MS });
    if (response.status !== 200) {
      // A refusal (403, 404…) is that Portal's answer for good, like a refused request; a 5xx is retried.
      if (response.status >= 300 && !isRetryableStatus(response.status)) throw new PeerIdentityRefused(describeAnswer(response));
      throw new PeerError('network', `${portalUrl}/.well-known/agent-p2p answered ${describeAnswer(response)}`);
    }
    return parseDocument(portalUrl, response.body);
  }

  /**
   * The peer's document for resolving a key it signed with: a copy fetched less than
   * DOCUMENT_CACHE_MS ago serves a burst of calls, unless it does not show that key and is older than
   * DOCUMENT_REFRESH_MS (the peer may have just rotated), then it is fetched again. A failed fetch is
   * not kept.
   */
  private async documentFor(portalUrl: string, keyId: string): Promise<PeerDocument> {
    const cached = this.documents.get(portalUrl);
    if (cached && Date.now() - cached.at < DOCUMENT_CACHE_MS) {
      const document = await cached.document.catch(() => null);
      if (document && (document.identity.keyId === keyId || Date.now() - cached.at < DOCUMENT_REFRESH_MS)) return document;
    }
    const document = this.fetchDocument(portalUrl);
    this.documents.set(portalUrl, { at: Date.now(), document });
    document.catch(() => this.documents.delete(portalUrl));
    if (this.documents.size > 1000) this.documents.delete(this.documents.keys().next().value as string);
    return document;
  }

  /** Pins the identity of the Portal we are about to ask (our outgoing request); throws PeerIdentityRefused for a Portal we cannot take. */
  async pinForRequest(contact: Contact): Promise<Contact> {
    if (contact.peerKeyState !== 'unpinned' && contact.peerKeyId) return contact;
    const document = await this.fetchDocument(contact.portalUrl);
    const now = new Date();
    const pinned = {
      peerKeyState: 'pinned' as const,
      peerKeyId: document.identity.keyId,
      peerPublicKey: document.identity.publicKey,
      peerKeyPinnedAt: now,
    };
    await this.contacts.update({ id: contact.id }, pinned);
    return Object.assign(contact, pinned);
  }

  // ---- checking signed calls ---------------------------------------------------------------------

  /**
   * Checks a call from a contact (any @PeerCall() route): signed by the key pinned for it. A key the
   * contact rotated to (the rotation signed by the pinned key, published in its document) is pinned
   * on the way. Throws the 401.
   */
  async verifyContactCall(request: FastifyRequest, contact: Contact, options: { previousKeyAlways?: boolean } = {}): Promise<string> {
    try {
      const verified = await this.verifier.verify(request, (keyId) => this.keyForContact(contact, keyId, options));
      return verified.keyId;
    } catch (error) {
      if (error instanceof SignatureRefusal) throw signatureUnauthorized(error);
      throw error;
    }
  }

  /**
   * Checks a contact request (public route): signed by the key the requester's own document
   * publishes, fetched from the URL it claims. Answers that key (pinned once the owner approves).
   */
  async verifyStrangerCall(request: FastifyRequest, fromPortal: string): Promise<PublicIdentity> {
    let identity: PublicIdentity | null = null;
    try {
      await this.verifier.verify(request, async (keyId) => {
        const document = await this.fetchDocument(fromPortal).catch((error: unknown) => {
          if (error instanceof PeerIdentityRefused) throw new SignatureRefusal('protocol_version', error.message);
          throw new SignatureRefusal(
            'identity_unknown',
            `Could not read the identity of ${fromPortal} (${error instanceof Error ? error.message : String(error)}): a contact request is checked against the key its Portal publishes at /.well-known/agent-p2p`,
          );
        });
        if (document.identity.keyId !== keyId) {
          throw new SignatureRefusal('identity_unknown', `The request is not signed by the identity key ${fromPortal} publishes`);
        }
        identity = document.identity;
        return keyOf(document.identity.publicKey);
      });
    } catch (error) {
      if (error instanceof SignatureRefusal) throw signatureUnauthorized(error);
      throw error;
    }
    if (!identity) throw signatureUnauthorized(new SignatureRefusal('identity_unknown', 'The request is not signed'));
    return identity;
  }

  private async keyForContact(contact: Contact, keyId: string, options: { previousKeyAlways?: boolean }): Promise<KeyObject> {
    if (contact.peerKeyState === 'pinned' && contact.peerKeyId === keyId && contact.peerPublicKey) return keyOf(contact.peerPublicKey);
    if (contact.peerPreviousKeyId === keyId && contact.peerPreviousPublicKey) {
      const inGrace = (contact.peerPreviousKeyUntil?.getTime() ?? 0) > Date.now();
      if (inGrace || options.previousKeyAlways) return keyOf(contact.peerPreviousPublicKey);
    }
    // Refused, whatever key it signs with, until the owner re-pins.
    if (contact.peerKeyState === 'changed') throw new SignatureRefusal('identity_changed', this.changedMessage(contact));
    // Not the pinned key: what does the contact's Portal publish now?
    let document: PeerDocument;
    try {
      document = await this.documentFor(contact.portalUrl, keyId);
    } catch (error) {
      throw new SignatureRefusal(
        'identity_unknown',
        `The call is signed by ${keyId}, not by the key pinned for ${contact.portalUrl}, and its identity could not be read (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (document.identity.keyId !== keyId) {
      // A rotation notice signed by a key this contact rotated away from again (two rotations while
      // we did not hear from it): follow its published chain to its current key, and take the
      // notice as the stale news it is.
      const pinnedId = contact.peerKeyId;
      const pinnedKey = contact.peerPublicKey;
      const older = options.previousKeyAlways ? chainKey(document, keyId) : null;
      if (older && pinnedId && pinnedKey) {
        // Nothing but the stale notice is accepted with that key (receiveRotation changes nothing for it).
        if (pinnedId === document.identity.keyId) return keyOf(older);
        if (rotationChainValid(contact.portalUrl, pinnedId, pinnedKey, document)) {
          await this.pin(contact, document.identity, 'rotated');
          return keyOf(older);
        }
      }
      throw new SignatureRefusal('identity_unknown', `The call is not signed by the identity key of ${contact.portalUrl}`);
    }
    if (contact.peerKeyState === 'unpinned' || !contact.peerKeyId || !contact.peerPublicKey) {
      // A contact from before signed calls: its first signed call pins its key (trust on first use).
      await this.pin(contact, document.identity, 'first');
      return keyOf(document.identity.publicKey);
    }
    if (rotationChainValid(contact.portalUrl, contact.peerKeyId, contact.peerPublicKey, document)) {
      await this.pin(contact, document.identity, 'rotated');
      return keyOf(document.identity.publicKey);
    }
    await this.markChanged(contact, document.identity);
    throw new SignatureRefusal('identity_changed', this.changedMessage(contact));
  }

  private changedMessage(contact: Contact): string {
    return `${this.config.publicUrl} has another identity key pinned for ${contact.portalUrl} (fingerprint ${fingerprintOfStored(contact.peerPublicKey)}): the key changed without a rotation signed by the pinned one. Calls are refused until the owner of ${this.config.publicUrl} compares the new fingerprint with yours and re-pins it.`;
  }

  // ---- pinning -----------------------------------------------------------------------------------

  private async pin(contact: Contact, identity: PublicIdentity, how: 'first' | 'rotated' | 'owner'): Promise<void> {
    const now = new Date();
    const previous =
      how === 'rotated' && contact.peerKeyId
        ? {
            peerPreviousKeyId: contact.peerKeyId,
            peerPreviousPublicKey: contact.peerPublicKey,
            peerPreviousKeyUntil: new Date(now.getTime() + PREVIOUS_KEY_GRACE_MS),
          }
        : { peerPreviousKeyId: null, peerPreviousPublicKey: null, peerPreviousKeyUntil: null };
    const changes = {
      peerKeyState: 'pinned' as const,
      peerKeyId: identity.keyId,
      peerPublicKey: identity.publicKey,
      peerKeyPinnedAt: now,
      ...previous,
      presentedKeyId: null,
      presentedPublicKey: null,
      peerKeyChangedAt: null,
      // An owner who re-pins by hand compared the new fingerprint (they were shown it to confirm).
      ...(how === 'owner' ? { peerKeyComparedAt: now } : {}),
      updatedAt: now,
    };
    const before = fingerprintOfStored(contact.peerPublicKey);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Contact, { id: contact.id }, changes);
      if (how === 'rotated') {
        await this.events.append(manager, 'contact.identity_rotated', {
          contactId: contact.id,
          portalUrl: contact.portalUrl,
          fingerprint: identity.fingerprint,
          previousFingerprint: before,
        });
      }
    });
    if (how === 'rotated') this.events.wake();
    Object.assign(contact, changes);
    this.logger.log(`Pinned the identity key ${identity.keyId} of contact ${contact.id} (${how})`);
  }

  private async markChanged(contact: Contact, presented: PublicIdentity): Promise<void> {
    if (contact.presentedKeyId === presented.keyId) return;
    const now = new Date();
    const changes = {
      peerKeyState: 'changed' as const,
      presentedKeyId: presented.keyId,
      presentedPublicKey: presented.publicKey,
      peerKeyChangedAt: now,
      updatedAt: now,
    };
    const wrote = await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(Contact, { id: contact.id, peerKeyId: contact.peerKeyId ?? '' }, changes);
      if (!result.affected) return false;
      await this.events.append(manager, 'contact.identity_changed', {
        contactId: contact.id,
        portalUrl: contact.portalUrl,
        pinnedFingerprint: fingerprintOfStored(contact.peerPublicKey),
        presentedFingerprint: presented.fingerprint,
      });
      return true;
    });
    Object.assign(contact, changes);
    if (wrote) {
      this.events.wake();
      this.logger.warn(
        `Contact ${contact.id} (${contact.portalUrl}) presents another identity key (${presented.keyId}) without a signed rotation: its calls are refused until the owner re-pins`,
      );
    }
  }

  /** The caller's contact as the database has it now. */
  async contactFor(peer: { id: number }): Promise<Contact> {
    const contact = await this.contacts.findOne({ where: { id: peer.id } });
    if (!contact) throw new NotFoundException('Unknown contact');
    return contact;
  }

  /** A rotation notice from the contact, signed (checked by the guard) with the key pinned for it. */
  async receiveRotation(
    contact: Contact,
    signedBy: string,
    to: { keyId: string; publicKey: string },
    proof: string,
  ): Promise<{ fingerprint: string }> {
    const next = publicKeyFromRaw(to.publicKey) ? identityOfPublicKey(to.publicKey) : null;
    if (!next || next.keyId !== to.keyId)
      throw new BadRequestException('to.publicKey must be a raw Ed25519 key (base64url) whose id is to.keyId');
    if (contact.peerKeyId === next.keyId) return { fingerprint: next.fingerprint }; // already followed (the chain, or this notice before)
    if (!contact.peerPublicKey) throw new ConflictException('No key is pinned here for your Portal');
    // Signed by an older key of this contact that the guard accepted (its previous key, or one in its
    // chain): we already follow a later key, so the notice is stale and changes nothing.
    if (signedBy !== contact.peerKeyId) return { fingerprint: fingerprintOfStored(contact.peerPublicKey) };
    const from = identityOfPublicKey(contact.peerPublicKey);
    if (!verifyRotation(contact.portalUrl, from, next, proof))
      throw new BadRequestException('The rotation proof is not a signature of the pinned key');
    await this.pin(contact, next, 'rotated');
    return { fingerprint: next.fingerprint };
  }

  /**
   * The owner re-pins a contact's key by hand (after an unannounced change, or to replace a key they
   * do not trust): the key the contact's Portal publishes now, only if its fingerprint is the one the
   * owner confirmed (so what they compared is what gets pinned).
   */
  async repin(contactId: number, fingerprint: string): Promise<Contact> {
    const contact = await this.contacts.findOne({ where: { id: contactId } });
    if (!contact) throw new NotFoundException(`No contact ${contactId}`);
    if (contact.status !== 'active' && contact.status !== 'pending')
      throw new ConflictException(`Contact ${contactId} is ${contact.status}`);
    this.documents.delete(contact.portalUrl);
    let document: PeerDocument;
    try {
      document = await this.fetchDocument(contact.portalUrl);
    } catch (error) {
      throw new ConflictException(
        `Could not read the identity of ${contact.portalUrl}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!sameFingerprint(document.identity.fingerprint, fingerprint)) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `${contact.portalUrl} presents the fingerprint ${document.identity.fingerprint}, not the one confirmed; nothing was pinned`,
        details: { code: 'fingerprint_mismatch', presentedFingerprint: document.identity.fingerprint },
      });
    }
    await this.pin(contact, document.identity, 'owner');
    void this.outbox.peerCalled(contact.portalUrl).catch(() => undefined);
    return contact;
  }

  /** Marks (or unmarks) the pinned fingerprint as compared with the contact's owner. */
  async setCompared(contactId: number, compared: boolean): Promise<Contact> {
    const contact = await this.contacts.findOne({ where: { id: contactId } });
    if (!contact) throw new NotFoundException(`No contact ${contactId}`);
    if (compared && (contact.peerKeyState !== 'pinned' || !contact.peerKeyId)) {
      throw new ConflictException(`Contact ${contactId} has no pinned key to mark as compared (${contact.peerKeyState})`);
    }
    const changes = { peerKeyComparedAt: compared ? (contact.peerKeyComparedAt ?? new Date()) : null, updatedAt: new Date() };
    await this.contacts.update({ id: contact.id }, changes);
    return Object.assign(contact, changes);
  }
}

/** The public key of a key id in the peer's published rotation chain (a key it rotated away from), or null. */
function chainKey(document: PeerDocument, keyId: string): string | null {
  return document.rotations.find((link) => link.fromKeyId === keyId)?.fromPublicKey ?? null;
}

/** Key objects of the keys met, by their base64url form: making one costs more than the verification it serves. */
const KEY_OBJECTS = new Map<string, KeyObject>();

function keyOf(publicKey: string): KeyObject {
  const known = KEY_OBJECTS.get(publicKey);
  if (known) return known;
  const key = publicKeyFromRaw(publicKey);
  if (!key) throw new SignatureRefusal('identity_unknown', 'The pinned key is unusable');
  if (KEY_OBJECTS.size >= 10_000) KEY_OBJECTS.clear();
  KEY_OBJECTS.set(publicKey, key);
  return key;
}
