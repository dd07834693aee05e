import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { SECRET_BOX, type SecretBox } from '../common/secret-box';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { EventsService } from '../events/events.service';
import { DeliveryRefused, type OutboxItem, OutboxService, type PeerResponse } from '../federation/outbox.service';
import { IdentityService } from '../identity/identity.service';
import { ProfileService } from '../profile/profile.service';
import { CONTACT_OUTBOX } from './contact-records';
import { ContactsService } from './contacts.service';
import { ContactRequest } from './entities/contact-request.entity';
import { Contact, type ContactRequestState } from './entities/contact.entity';
import { PeerIdentityRefused, PeerKeysService } from './peer-keys.service';

/**
 * The handshake's calls to other Portals, made by the outbox (CONTACT_OUTBOX): what each call sends,
 * and what its delivery or final failure changes here.
 */
@Injectable()
export class ContactOutboxService implements OnModuleInit {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    @InjectRepository(ContactRequest) private readonly requests: Repository<ContactRequest>,
    private readonly contactKeys: ContactsService,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly profile: ProfileService,
    private readonly peerKeys: PeerKeysService,
    private readonly identity: IdentityService,
  ) {}

  onModuleInit(): void {
    this.registerOutboxHandlers();
    this.registerRotationHandler();
  }

  private registerOutboxHandlers(): void {
    this.outbox.registerHandler(CONTACT_OUTBOX.request, {
      buildRequest: async (item) => {
        const found = await this.contactOf(item);
        if (!found || found.status !== 'pending' || !found.keySealed) return null;
        // Their identity is fetched and pinned before we ask (their Portal must speak our protocol version).
        const contact = await this.peerKeys.pinForRequest(found).catch((error: unknown) => {
          throw error instanceof PeerIdentityRefused ? new DeliveryRefused(error.message) : error;
        });
        const me = await this.profile.names();
        return {
          portalUrl: contact.portalUrl,
          method: 'POST',
          path: '/api/federation/contact-requests',
          body: {
            requestId: contact.requestId,
            fromPortal: this.config.publicUrl,
            agentName: me.agentName,
            ownerName: me.ownerName,
            message: contact.message,
            key: this.contactKeys.outboundKey(contact),
          },
        };
      },
      onDelivered: async (manager, item) => {
        const contact = await this.waitingRequest(manager, item);
        if (!contact) return;
        const attempts = item.attempts + 1;
        await manager.update(Contact, { id: contact.id }, requestState('delivered', attempts, null));
        await this.events.append(manager, 'contact.request_delivered', { contactId: contact.id, portalUrl: contact.portalUrl, attempts });
      },
      onAttemptFailed: async (manager, item, reason) => {
        const contact = await this.waitingRequest(manager, item);
        if (!contact) return;
        await manager.update(Contact, { id: contact.id }, requestState('undelivered', item.attempts, reason));
        // Told once after a few attempts (not on every retry), and again only if the outbox gives up.
        if (item.attempts !== UNDELIVERED_NOTICE_ATTEMPTS) return;
        await this.events.append(manager, 'contact.request_failed', {
          contactId: contact.id,
          portalUrl: contact.portalUrl,
          reason: 'undelivered',
          error: reason.slice(0, 500),
          attempts: item.attempts,
          final: false,
        });
      },
      onFailed: async (manager, item, reason, cause) => {
        const contact = await this.waitingRequest(manager, item);
        if (!contact) return;
        // Their Portal answered no (its policy): refused. We could not reach it or send it: undelivered.
        const state = cause === 'refused' ? 'refused' : 'undelivered';
        await manager.update(
          Contact,
          { id: contact.id },
          { status: 'rejected', keyHash: null, keySealed: null, ...requestState(state, item.attempts, reason) },
        );
        await this.events.append(manager, 'contact.request_failed', {
          contactId: contact.id,
          portalUrl: contact.portalUrl,
          reason: state,
          error: reason.slice(0, 500),
          attempts: item.attempts,
          final: true,
        });
      },
    });

    this.outbox.registerHandler(
      CONTACT_OUTBOX.verify,
      {
        buildRequest: async (item) => {
          const request = await this.requestOf(item);
          if (!request || request.status !== 'verifying' || !request.keySealed) return null;
          return {
            portalUrl: request.fromPortal,
            method: 'POST',
            path: `/api/federation/contact-requests/${request.requestId}/verify`,
            key: this.secrets.open(request.keySealed),
            body: { portalUrl: this.config.publicUrl },
          };
        },
        onDelivered: async (manager, item, response) => {
          const request = await manager.findOne(ContactRequest, { where: { id: Number(item.refId) } });
          if (!request || request.status !== 'verifying') return;
          const confirmed = isConfirmation(response, request.fromPortal);
          // Conditional: the sweep may have ended the request (too late) meanwhile.
          const changed = await manager.update(
            ContactRequest,
            { id: request.id, status: 'verifying' },
            confirmed
              ? { status: 'pending', verified: true, updatedAt: new Date() }
              : { status: 'invalid', keySealed: null, updatedAt: new Date() },
          );
          if (!confirmed || !changed.affected) return;
          await this.events.append(manager, 'contact.request_received', {
            requestId: request.id,
            portalUrl: request.fromPortal,
            agentName: request.agentName,
            ownerName: request.ownerName,
            message: request.message,
            verified: true,
          });
        },
        onFailed: async (manager, item) => {
          await manager.update(
            ContactRequest,
            { id: Number(item.refId), status: 'verifying' },
            { status: 'invalid', keySealed: null, updatedAt: new Date() },
          );
        },
      },
      { lane: 'strangers' },
    );

    this.outbox.registerHandler(CONTACT_OUTBOX.accept, {
      buildRequest: async (item) => {
        const contact = await this.contactOf(item);
        if (!contact || contact.status !== 'active' || !contact.keySealed) return null;
        const me = await this.profile.names();
        return {
          portalUrl: contact.portalUrl,
          method: 'POST',
          path: `/api/federation/contact-requests/${contact.requestId}/accept`,
          key: this.contactKeys.outboundKey(contact) ?? undefined,
          body: { agentName: me.agentName, ownerName: me.ownerName },
        };
      },
      onDelivered: async () => undefined,
      onFailed: async (manager, item) => {
        // The requester no longer knows this handshake: the contact cannot work.
        const contact = await manager.findOne(Contact, { where: { id: item.contactId ?? -1 } });
        if (!contact || contact.status !== 'active') return;
        await manager.update(Contact, { id: contact.id }, { status: 'removed', keyHash: null, keySealed: null, updatedAt: new Date() });
        await this.events.append(manager, 'contact.removed', { contactId: contact.id, portalUrl: contact.portalUrl, by: 'peer' });
      },
    });

    this.outbox.registerHandler(
      CONTACT_OUTBOX.reject,
      {
        buildRequest: async (item) => {
          const request = await this.requestOf(item);
          if (!request || !request.keySealed) return null;
          return {
            portalUrl: request.fromPortal,
            method: 'POST',
            path: `/api/federation/contact-requests/${request.requestId}/reject`,
            key: this.secrets.open(request.keySealed),
          };
        },
        onDelivered: async (manager, item) => {
          await manager.update(ContactRequest, { id: Number(item.refId) }, { keySealed: null });
        },
        onFailed: async (manager, item) => {
          await manager.update(ContactRequest, { id: Number(item.refId) }, { keySealed: null });
        },
      },
      { lane: 'strangers' },
    );

    this.outbox.registerHandler(CONTACT_OUTBOX.remove, {
      buildRequest: async (item) => {
        const contact = await this.contactOf(item);
        if (!contact || !contact.keySealed) return null;
        return {
          portalUrl: contact.portalUrl,
          method: 'DELETE',
          path: '/api/federation/contact',
          key: this.contactKeys.outboundKey(contact) ?? undefined,
        };
      },
      onDelivered: async (manager, item) => {
        await manager.update(Contact, { id: item.contactId ?? -1 }, { keySealed: null });
      },
      onFailed: async (manager, item) => {
        await manager.update(Contact, { id: item.contactId ?? -1 }, { keySealed: null });
      },
    });
  }

  private registerRotationHandler(): void {
    this.outbox.registerHandler(CONTACT_OUTBOX.rotation, {
      buildRequest: async (item) => {
        const contact = await this.contactOf(item);
        if (!contact || (contact.status !== 'active' && contact.status !== 'pending') || !contact.keySealed) return null;
        const rotation = await this.identity.rotationTo(item.refId ?? '');
        if (!rotation) return null;
        return {
          portalUrl: contact.portalUrl,
          method: 'POST',
          path: '/api/federation/identity/rotation',
          key: this.contactKeys.outboundKey(contact) ?? undefined,
          body: { to: { keyId: rotation.to.keyId, publicKey: rotation.to.publicKey }, proof: rotation.proof },
          // Signed by the key the contact has pinned: that is what makes the notice believable.
          signWith: rotation.from.keyId,
        };
      },
      onDelivered: async () => undefined,
      onFailed: async () => undefined,
    });
  }

  /** The contact of our own request while it still waits (an answer may have settled it meanwhile). */
  private async waitingRequest(manager: EntityManager, item: OutboxItem): Promise<Contact | null> {
    const contact = await manager.findOne(Contact, { where: { id: item.contactId ?? -1 } });
    return contact && contact.status === 'pending' && contact.direction === 'outgoing' ? contact : null;
  }

  private async contactOf(item: OutboxItem): Promise<Contact | null> {
    return item.contactId === null ? null : this.contacts.findOne({ where: { id: item.contactId } });
  }

  private async requestOf(item: OutboxItem): Promise<ContactRequest | null> {
    const id = Number(item.refId);
    return Number.isInteger(id) ? this.requests.findOne({ where: { id } }) : null;
  }
}

/** Failed attempts of our request after which the agent is told it is undelivered (retries go on). */
export const UNDELIVERED_NOTICE_ATTEMPTS = 3;

function requestState(
  state: ContactRequestState,
  attempts: number,
  error: string | null,
): Pick<Contact, 'requestState' | 'requestAttempts' | 'requestError' | 'requestStateAt' | 'updatedAt'> {
  const now = new Date();
  return {
    requestState: state,
    requestAttempts: attempts,
    requestError: error?.slice(0, 500) ?? null,
    requestStateAt: now,
    updatedAt: now,
  };
}

function isConfirmation(response: PeerResponse, expectedUrl: string): boolean {
  const body = response.body as { ok?: unknown; portalUrl?: unknown } | null;
  return body?.ok === true && typeof body.portalUrl === 'string' && body.portalUrl.replace(/\/+$/, '') === expectedUrl;
}
