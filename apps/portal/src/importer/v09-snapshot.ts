/** What is read from a v0.9.x Portal database (v09-source.ts), before anything is imported. */

/** The file cannot be imported at all (not SQLite, not a v0.9 database, a required column missing). */
export class V09RefusedError extends Error {}

export type V09Kind = 'contacts' | 'messages' | 'ownerChat' | 'guestbook' | 'files';

/** A row left out, and why (shown in the report). */
export interface V09Skip {
  kind: V09Kind;
  /** The row's id in the v0.9 table. */
  sourceId: string;
  reason: string;
}

export interface V09Contact {
  sourceId: string;
  portalUrl: string;
  agentName: string;
  ownerName: string;
  createdAt: Date;
}

export interface V09Message {
  sourceId: string;
  direction: 'out' | 'in';
  /** The other Portal (normalised). */
  peerUrl: string;
  content: string;
  delivered: boolean;
  createdAt: Date;
}

export interface V09OwnerChat {
  sourceId: string;
  role: 'owner' | 'agent';
  content: string;
  createdAt: Date;
}

export interface V09GuestbookEntry {
  sourceId: string;
  name: string;
  message: string;
  read: boolean;
  createdAt: Date;
}

export interface V09File {
  sourceId: string;
  name: string;
  mime: string;
  /** The contact it came from (incoming), or null for any other file (kept as a local file). */
  fromPortal: string | null;
  createdAt: Date;
  /** The chunk indexes to read, in order (checked contiguous from 0). */
  chunkCount: number;
  /** SHA-256 the v0.9 Portal recorded, when it did (checked against the bytes). */
  expectedSha256: string | null;
}

export interface V09Snapshot {
  /** The v0.9 Portal's own URL (its `config` table or PORTAL_URL), when recorded. */
  ownUrl: string | null;
  contacts: V09Contact[];
  messages: V09Message[];
  ownerChat: V09OwnerChat[];
  guestbook: V09GuestbookEntry[];
  files: V09File[];
  skipped: V09Skip[];
  /** Owner keys found in `api_keys` (never imported). */
  ownerKeys: number;
  /** Optional tables the file does not have (nothing to import from them). */
  absentTables: string[];
}
