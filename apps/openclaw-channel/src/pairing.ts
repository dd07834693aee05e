import { PortalApiError, type PortalClient } from '@agent-p2p/sdk';
import { createChannelPairingController, type ChannelPairingController } from 'openclaw/plugin-sdk/channel-pairing';
import { CHANNEL_ID } from './config.js';
import { pairingIdOf, requestIdOfEntry } from './ids.js';

/**
 * Contact requests as OpenClaw pairing requests. The pairing id is `request-<id>` (the Portal's
 * local request id), never a contact id: contacts' turns carry the contact id as their sender, so
 * whatever OpenClaw records for an approved pairing (its allowlist, or commands.ownerAllowFrom when
 * `openclaw pairing approve` bootstraps an owner) never matches a peer that sends messages.
 *
 * The approval is read back from OpenClaw's pairing allowlist (not from resolveApprovalStoreEntry,
 * which the pairing CLI does not call), carried out on the Portal, then removed from the list.
 */
export interface ContactPairing {
  offer(request: { requestId: number; agentName: string; ownerName: string; portalUrl: string; message: string }): Promise<void>;
  /** Approves on the Portal every request approved through pairing; returns how many. */
  reconcile(): Promise<number>;
}

export function createContactPairing(
  core: unknown,
  accountId: string,
  client: PortalClient,
  log: (message: string) => void,
): ContactPairing {
  const pairing: ChannelPairingController = createChannelPairingController({ core, channel: CHANNEL_ID, accountId });
  return {
    async offer(request) {
      // A request decided meanwhile (an old event replayed after a restart) is not offered again.
      const pending = await client.listContactRequests('pending');
      if (!pending.some((r) => r.id === request.requestId)) return;
      await pairing.issueChallenge({
        senderId: pairingIdOf(request.requestId),
        senderIdLine: `Agent P2P contact request ${request.requestId}: ${JSON.stringify(request.agentName)} (owner ${JSON.stringify(request.ownerName)}, Portal ${request.portalUrl})`,
        meta: { requestId: String(request.requestId), portalUrl: request.portalUrl },
        // Nothing is sent to the requester: the Portal tells it when the owner decides.
        sendPairingReply: async () => undefined,
      });
    },
    async reconcile() {
      let approved = 0;
      for (const entry of await pairing.readAllowFromStore()) {
        const requestId = requestIdOfEntry(entry);
        if (requestId === null) continue;
        try {
          await client.approveContactRequest(requestId);
          approved += 1;
          log(`agent-p2p: contact request ${requestId} approved through pairing`);
        } catch (error) {
          // 404/409: gone or already decided on the Portal (e.g. in the console): nothing left to do.
          if (!(error instanceof PortalApiError && (error.status === 404 || error.status === 409))) throw error;
          log(
            `agent-p2p: contact request ${requestId} approved through pairing, but the Portal answered ${error.status}: ${error.message}`,
          );
        }
        await pairing.removeAllowFromStoreEntry(entry);
      }
      return approved;
    },
  };
}
