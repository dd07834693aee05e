import createClient, { type Client } from 'openapi-fetch';
import { PortalApiError } from './errors';
import type { components, operations, paths } from './generated/schema';

type Schemas = components['schemas'];
export type Profile = Schemas['ProfileResponseDto'];
export type ProfileUpdate = Schemas['ProfileUpdateDto'];
export type WellKnown = Schemas['WellKnownResponseDto'];
export type Identity = Schemas['IdentityDto'];
export type IdentityRotation = Schemas['IdentityRotationResponseDto'];
export type ContactIdentity = Schemas['ContactIdentityDto'];
export type OwnerKey = Schemas['OwnerKeyResponseDto'];
export type OwnerKeyCreated = Schemas['OwnerKeyCreatedDto'];
export type Health = Schemas['HealthResponseDto'];
export type Version = Schemas['VersionResponseDto'];
export type Session = Schemas['SessionResponseDto'];
export type Contact = Schemas['ContactResponseDto'];
export type ContactRequest = Schemas['ContactRequestResponseDto'];
export type ContactRequestDelivery = Schemas['ContactRequestDeliveryDto'];
export type AgentStatus = Schemas['AgentStatusDto'];
export type ContactStatus = Contact['status'];
export type AutonomyTier = Contact['autonomy'];
export type ReviewPage = Schemas['ReviewPageDto'];
export type ReviewItem = Schemas['ReviewItemDto'];
export type ReviewQuery = NonNullable<operations['listReview']['parameters']['query']>;
export type ReviewAction = Schemas['ReviewActionDto'];
export type ReviewActionResult = Schemas['ReviewActionResultDto'];
export type ContactRequestStatus = ContactRequest['status'];
export type Message = Schemas['MessageResponseDto'];
export type MessagePage = Schemas['MessagePageDto'];
export type MessageQuery = NonNullable<operations['listMessages']['parameters']['query']>;
export type EventType = Schemas['EventType'];
export type EventList = Schemas['EventListResponseDto'];
export type EventAck = Schemas['EventAckResponseDto'];
export type GuestbookEntry = Schemas['GuestbookEntryResponseDto'];
export type GuestbookEntryCreate = Schemas['GuestbookEntryCreateDto'];
export type GuestbookEntryCreated = Schemas['GuestbookEntryCreatedDto'];
export type GuestbookList = Schemas['GuestbookListResponseDto'];
export type GuestbookEntryUpdate = Schemas['GuestbookEntryUpdateDto'];
export type OwnerChatMessage = Schemas['OwnerChatMessageResponseDto'];
export type OwnerChatPage = Schemas['OwnerChatPageDto'];
export type OwnerChatAttachment = Schemas['OwnerChatMessageAttachmentDto'];
export type OwnerChatQuery = NonNullable<operations['listOwnerChatMessages']['parameters']['query']>;
export type FileTransfer = Schemas['FileResponseDto'];
export type FileUploadCreate = Schemas['FileCreateDto'];
export type FileList = Schemas['FileListResponseDto'];
export type FileChunkReceipt = Schemas['FileChunkReceiptDto'];
export type FileListQuery = NonNullable<operations['listFiles']['parameters']['query']>;

export interface FileDownloadOptions {
  /** One byte range: `{start, end}` (end inclusive, optional) or `{suffix}` for the last bytes. */
  range?: { start: number; end?: number } | { suffix: number };
  signal?: AbortSignal;
}

/** The payload of each event type. */
export interface EventPayloads {
  'message.received': Schemas['MessageReceivedPayloadDto'];
  'message.delivered': Schemas['MessageDeliveredPayloadDto'];
  'message.failed': Schemas['MessageFailedPayloadDto'];
  'message.receipt': Schemas['MessageReceiptPayloadDto'];
  'message.unconfirmed': Schemas['MessageUnconfirmedPayloadDto'];
  'contact.request_received': Schemas['ContactRequestReceivedPayloadDto'];
  'contact.request_delivered': Schemas['ContactRequestDeliveredPayloadDto'];
  'contact.request_failed': Schemas['ContactRequestFailedPayloadDto'];
  'contact.accepted': Schemas['ContactAcceptedPayloadDto'];
  'contact.rejected': Schemas['ContactRejectedPayloadDto'];
  'contact.removed': Schemas['ContactRemovedPayloadDto'];
  'guestbook.message': Schemas['GuestbookMessagePayloadDto'];
  'owner_chat.message': Schemas['OwnerChatMessagePayloadDto'];
  'file.received': Schemas['FileReceivedPayloadDto'];
  'file.delivered': Schemas['FileDeliveredPayloadDto'];
  'file.failed': Schemas['FileFailedPayloadDto'];
  'agent.wake': Schemas['AgentWakePayloadDto'];
  'message.held': Schemas['MessageHeldPayloadDto'];
  'file.parked': Schemas['FileParkedPayloadDto'];
  'file.resumed': Schemas['FileResumedPayloadDto'];
  'contact.identity_rotated': Schemas['ContactIdentityRotatedPayloadDto'];
  'contact.identity_changed': Schemas['ContactIdentityChangedPayloadDto'];
  'contact.identity_refused': Schemas['ContactIdentityRefusedPayloadDto'];
}

/** One event of the log, typed by its `type` (switch on it to narrow the payload). */
export type PortalEvent = {
  [K in EventType]: Omit<Schemas['EventDto'], 'type' | 'payload'> & {
    type: K;
    payload: K extends keyof EventPayloads ? EventPayloads[K] : never;
  };
}[EventType];

export interface EventListOptions {
  /** Events with seq greater than this (omitted: the key's acked cursor). */
  after?: number;
  /** Seconds to wait for an event when there is none yet (0–60). */
  wait?: number;
  limit?: number;
}

export interface GuestbookListOptions {
  after?: number;
  limit?: number;
  /** Only entries not marked read. */
  unread?: boolean;
}

const IN_NODE = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * A chunk's bytes as a request body. Node's fetch copies a Uint8Array body into a fresh buffer
 * before sending it (for 8 MiB chunks, most of an upload's CPU, and the caller could not reuse its
 * buffer anyway); in Node the same bytes go out as a one-piece stream with their length instead.
 * Browsers get the bytes as they are (a streamed upload there needs HTTP/2).
 */
function chunkBody(data: Uint8Array | Blob): { body: BodyInit; headers: Record<string, string> } {
  if (!IN_NODE || !(data instanceof Uint8Array)) return { body: data as BodyInit, headers: {} };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(data);
      controller.close();
    },
  });
  return { body, headers: { 'Content-Length': String(data.byteLength) } };
}

export interface PortalClientOptions {
  /** The Portal's URL, e.g. https://portal.example.com or http://127.0.0.1:8080. */
  baseUrl: string;
  /** An owner key (ap2p_o_…). Sent as "Authorization: Bearer …". */
  apiKey?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof globalThis.fetch;
  /** Browser use with the console session cookie: send credentials and the CSRF header. */
  session?: boolean;
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** The typed Portal client: one method per operation, errors thrown as PortalApiError. */
export function createPortalClient(options: PortalClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
  if (options.session) headers['X-Requested-With'] = 'agent-p2p';
  const baseFetch = options.fetch ?? globalThis.fetch;
  const raw: Client<paths> = createClient<paths>({
    baseUrl,
    headers,
    fetch: (request: Request) => baseFetch(request),
    ...(options.session ? { credentials: 'same-origin' as const } : {}),
  });

  async function call<T>(pending: Promise<Outcome<T>>): Promise<T> {
    let outcome: Outcome<T>;
    try {
      outcome = await pending;
    } catch (cause) {
      throw PortalApiError.fromNetwork(baseUrl, cause);
    }
    if (!outcome.response.ok) throw PortalApiError.fromResponse(outcome.response, outcome.error);
    return outcome.data as T;
  }

  /**
   * A call outside openapi-fetch (raw bodies and streamed answers): same base URL, auth headers and
   * session credentials; a non-2xx answer becomes PortalApiError.
   */
  async function rawCall(path: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
    let response: Response;
    try {
      response = await baseFetch(
        new Request(`${baseUrl}${path}`, {
          ...init,
          headers: { ...headers, ...init.headers },
          ...(options.session ? { credentials: 'same-origin' as const } : {}),
          // Node's fetch needs this for a streamed request body.
          ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        } as RequestInit),
      );
    } catch (cause) {
      throw PortalApiError.fromNetwork(baseUrl, cause);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the status alone describes the error
      }
      throw PortalApiError.fromResponse(response, body);
    }
    return response;
  }

  return {
    /** The underlying openapi-fetch client, for operations without a method here. */
    raw,
    baseUrl,

    getHealth: (): Promise<Health> => call(raw.GET('/health')),
    getVersion: (): Promise<Version> => call(raw.GET('/version')),
    getWellKnown: (): Promise<WellKnown> => call(raw.GET('/.well-known/agent-p2p')),

    getMe: (): Promise<Profile> => call(raw.GET('/api/me')),
    updateMe: (changes: ProfileUpdate): Promise<Profile> => call(raw.PATCH('/api/me', { body: changes })),

    /**
     * A new identity key for this Portal; every pending or active contact is told (409 when the key
     * comes from PORTAL_IDENTITY_KEY).
     */
    rotateIdentity: (): Promise<IdentityRotation> => call(raw.POST('/api/identity/rotate')),

    /** Whether an agent (an owner key) follows this Portal's events right now. */
    getAgentStatus: (): Promise<AgentStatus> => call(raw.GET('/api/agent/status')),

    listKeys: (): Promise<OwnerKey[]> => call(raw.GET('/api/keys')),
    createKey: (name: string): Promise<OwnerKeyCreated> => call(raw.POST('/api/keys', { body: { name } })),
    revokeKey: (id: string): Promise<OwnerKey> => call(raw.DELETE('/api/keys/{id}', { params: { path: { id } } })),

    createContact: (portalUrl: string, message?: string): Promise<Contact> =>
      call(raw.POST('/api/contacts', { body: { portalUrl, message: message ?? '' } })),
    listContacts: (status?: ContactStatus): Promise<Contact[]> => call(raw.GET('/api/contacts', { params: { query: { status } } })),
    getContact: (id: number): Promise<Contact> => call(raw.GET('/api/contacts/{id}', { params: { path: { id } } })),
    removeContact: (id: number): Promise<Contact> => call(raw.DELETE('/api/contacts/{id}', { params: { path: { id } } })),
    /** An agent key may only lower a tier (blocked < notify-only < bounded < extended); raising it is the owner's. */
    setContactAutonomy: (id: number, tier: AutonomyTier): Promise<Contact> =>
      call(raw.PUT('/api/contacts/{id}/autonomy', { params: { path: { id } }, body: { tier } })),
    /** Marks the contact's pinned fingerprint as compared with its owner (true: owner only) or clears the mark. */
    setContactCompared: (id: number, compared: boolean): Promise<Contact> =>
      call(raw.PUT('/api/contacts/{id}/identity/compared', { params: { path: { id } }, body: { compared } })),
    /**
     * Owner only: pins the key the contact's Portal presents now, if its fingerprint is the one given
     * (409 with details.presentedFingerprint when it presents another).
     */
    repinContactIdentity: (id: number, fingerprint: string): Promise<Contact> =>
      call(raw.POST('/api/contacts/{id}/identity/repin', { params: { path: { id } }, body: { fingerprint } })),
    /** Messages held for the owner or waiting for their wake, oldest first. */
    listReview: (query: ReviewQuery = {}): Promise<ReviewPage> => call(raw.GET('/api/review', { params: { query } })),
    /** Owner only: wakes the agent with them now. */
    releaseReview: (action: ReviewAction): Promise<ReviewActionResult> => call(raw.POST('/api/review/release', { body: action })),
    /** Owner only: they wake nobody (they stay in the history). */
    dropReview: (action: ReviewAction): Promise<ReviewActionResult> => call(raw.POST('/api/review/drop', { body: action })),
    /** One page, oldest first (default 50, at most 200): pass the last id as `after` for the next. */
    listContactRequests: (status?: ContactRequestStatus, page: { after?: number; limit?: number } = {}): Promise<ContactRequest[]> =>
      call(raw.GET('/api/contact-requests', { params: { query: { status, ...page } } })),
    approveContactRequest: (id: number): Promise<Contact> =>
      call(raw.POST('/api/contact-requests/{id}/approve', { params: { path: { id } } })),
    rejectContactRequest: (id: number): Promise<ContactRequest> =>
      call(raw.POST('/api/contact-requests/{id}/reject', { params: { path: { id } } })),

    sendMessage: (contactId: number, content: string, id?: string): Promise<Message> =>
      call(raw.POST('/api/messages', { body: { contactId, content, id } })),
    getMessage: (id: string): Promise<Message> => call(raw.GET('/api/messages/{id}', { params: { path: { id } } })),
    listMessages: (query: MessageQuery = {}): Promise<MessagePage> => call(raw.GET('/api/messages', { params: { query } })),

    /** Starts sending a file: returns its id, chunk size and chunk count. Reusing `id` returns the same upload. */
    createFileUpload: (file: FileUploadCreate): Promise<FileTransfer> => call(raw.POST('/api/files', { body: file })),
    /** Uploads chunk `index` (bytes [index × chunkSize, …)) with its SHA-256 (hex); streamed, never JSON-encoded. */
    uploadFileChunk: async (id: string, index: number, data: Uint8Array | Blob, sha256: string): Promise<FileChunkReceipt> => {
      const { body, headers: bodyHeaders } = chunkBody(data);
      const response = await rawCall(`/api/files/${encodeURIComponent(id)}/chunks/${index}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream', 'X-Chunk-Sha256': sha256, ...bodyHeaders },
        body,
      });
      return (await response.json()) as FileChunkReceipt;
    },
    getFile: (id: string): Promise<FileTransfer> => call(raw.GET('/api/files/{id}', { params: { path: { id } } })),
    listFiles: async (query: FileListQuery = {}): Promise<FileTransfer[]> =>
      (await call<FileList>(raw.GET('/api/files', { params: { query } }))).files,
    /**
     * Downloads a file: the Response (200, or 206 for a range) with its body unread, to stream
     * (`response.body`). Content-Disposition carries the name; X-File-Sha256 the hash to check.
     */
    downloadFile: (id: string, download: FileDownloadOptions = {}): Promise<Response> => {
      const requestHeaders: Record<string, string> = {};
      const range = download.range;
      if (range) requestHeaders.Range = 'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end ?? ''}`;
      return rawCall(`/api/files/${encodeURIComponent(id)}/content`, { method: 'GET', headers: requestHeaders, signal: download.signal });
    },
    deleteFile: async (id: string): Promise<void> => {
      await call(raw.DELETE('/api/files/{id}', { params: { path: { id } } }));
    },

    login: (password: string): Promise<Session> => call(raw.POST('/api/session', { body: { password } })),
    getSession: (): Promise<Session> => call(raw.GET('/api/session')),
    logout: async (): Promise<void> => {
      await call(raw.DELETE('/api/session'));
    },
    /** Long-polls the event log (reading never acks). */
    listEvents: async (options: EventListOptions = {}): Promise<{ events: PortalEvent[]; lastSeq: number }> => {
      const list: EventList = await call(raw.GET('/api/events', { params: { query: options } }));
      return { events: list.events as PortalEvent[], lastSeq: list.lastSeq };
    },
    /** Moves this owner key's event cursor to seq (never backwards). */
    ackEvents: (seq: number): Promise<EventAck> => call(raw.POST('/api/events/ack', { body: { seq } })),

    createGuestbookEntry: (entry: GuestbookEntryCreate): Promise<GuestbookEntryCreated> =>
      call(raw.POST('/api/guestbook', { body: entry })),
    listGuestbookEntries: (options: GuestbookListOptions = {}): Promise<GuestbookList> =>
      call(raw.GET('/api/guestbook', { params: { query: options } })),
    updateGuestbookEntry: (id: number, changes: GuestbookEntryUpdate): Promise<GuestbookEntry> =>
      call(raw.PATCH('/api/guestbook/{id}', { params: { path: { id } }, body: changes })),
    deleteGuestbookEntry: async (id: number): Promise<void> => {
      await call(raw.DELETE('/api/guestbook/{id}', { params: { path: { id } } }));
    },

    /** The owner chat, newest page first unless after/before is given (oldest first within a page). */
    listOwnerChatMessages: (query: OwnerChatQuery = {}): Promise<OwnerChatPage> =>
      call(raw.GET('/api/owner-chat/messages', { params: { query } })),
    /**
     * Writes in the owner chat: as the owner with a console session, as the agent with an owner key.
     * `fileIds` attaches complete files of this Portal (upload them with createFileUpload without contactId).
     */
    postOwnerChatMessage: (content: string, fileIds?: string[]): Promise<OwnerChatMessage> =>
      call(raw.POST('/api/owner-chat/messages', { body: fileIds?.length ? { content, fileIds } : { content } })),

    changePassword: async (currentPassword: string, newPassword: string): Promise<void> => {
      await call(raw.PUT('/api/session/password', { body: { currentPassword, newPassword } }));
    },
  };
}

export type PortalClient = ReturnType<typeof createPortalClient>;
