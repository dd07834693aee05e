import { withRetries } from '@agent-p2p/protocol';
import { createPortalClient, PortalApiError, type Message, type PortalClient } from '@agent-p2p/sdk';
import { randomUUID } from 'node:crypto';
import type { AgentP2pAccount } from './config.js';

export function portalClient(account: AgentP2pAccount): PortalClient {
  return createPortalClient({ baseUrl: account.portalUrl, apiKey: account.apiKey });
}

/** Errors worth trying again with the same message id (network, 408, 429, 5xx). */
function retryable(error: unknown): boolean {
  if (error instanceof PortalApiError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return true;
}

/**
 * Sends one message to a contact through the Portal. One id for every attempt, so a retry after a
 * lost answer cannot send the message twice (the Portal returns the message stored under that id).
 */
export async function sendToContact(client: PortalClient, contactId: number, text: string, id: string = randomUUID()): Promise<Message> {
  try {
    // Three tries, about 300 ms and 600 ms apart.
    return await withRetries(() => client.sendMessage(contactId, text, id), { attempts: 3, initialMs: 300, maxMs: 600, retryable });
  } catch (lastError) {
    if (lastError instanceof PortalApiError)
      throw new Error(`the Portal refused the message to contact ${contactId}: ${lastError.message}`, { cause: lastError });
    throw new Error(
      `the Portal could not be reached to send to contact ${contactId}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      {
        cause: lastError,
      },
    );
  }
}
