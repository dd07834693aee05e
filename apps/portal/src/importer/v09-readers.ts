import { normalizePortalUrl } from '../common/portal-url';
import { chronological, cleanName, idOf, text, timeOf, truthy } from './v09-cells';
import {
  V09RefusedError,
  type V09Contact,
  type V09File,
  type V09GuestbookEntry,
  type V09Message,
  type V09OwnerChat,
  type V09Skip,
} from './v09-snapshot';
import { quote, type TableShape, type V09Tables } from './v09-tables';

/**
 * One reader per v0.9 table: each turns the rows into what is imported, and records every row it
 * leaves out with the reason (a NULL, text that is not UTF-8, a URL that is no Portal, …).
 */

export function readContacts(tables: V09Tables, shape: TableShape, skipped: V09Skip[]): V09Contact[] {
  const rows = tables.rows(
    shape,
    {
      id: shape.pick('id'),
      portal_url: shape.require('portal_url'),
      display_name: shape.pick('display_name'),
      agent_name: shape.pick('agent_name'),
      user_name: shape.pick('user_name'),
      created_at: shape.pick('created_at'),
    },
    ['portal_url', 'display_name', 'agent_name', 'user_name', 'created_at'],
  );
  const contacts: V09Contact[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const sourceId = idOf(row);
    const skip = (reason: string): void => void skipped.push({ kind: 'contacts', sourceId, reason });
    const url = text(row.portal_url);
    if (!url.ok) {
      skip(`portal_url ${url.problem}`);
      continue;
    }
    const portalUrl = normalizePortalUrl(url.value, true);
    if (!portalUrl) {
      skip(`portal_url is not an http(s) URL without credentials, query or fragment`);
      continue;
    }
    if (seen.has(portalUrl)) {
      skip(`a second contact for ${portalUrl}`);
      continue;
    }
    const createdAt = timeOf(row);
    if (!createdAt) {
      skip('created_at is missing or not a time');
      continue;
    }
    // A name that does not read (NULL, not UTF-8) is left empty rather than losing the contact and its history.
    const [agent, display, user] = [row.agent_name, row.display_name, row.user_name].map((value) => {
      const name = text(value);
      return name.ok ? cleanName(name.value) : '';
    });
    seen.add(portalUrl);
    contacts.push({ sourceId, portalUrl, agentName: agent || display, ownerName: user, createdAt });
  }
  return contacts;
}

export function readMessages(
  tables: V09Tables,
  shape: TableShape,
  ownUrl: string | null,
  known: Set<string>,
  skipped: V09Skip[],
): V09Message[] {
  const rows = tables.rows(
    shape,
    {
      id: shape.pick('id'),
      from_portal: shape.require('from_portal'),
      to_portal: shape.require('to_portal'),
      content: shape.require('content'),
      message_type: shape.pick('message_type'),
      file_url: shape.pick('file_url'),
      is_delivered: shape.pick('is_delivered'),
      created_at: shape.require('created_at'),
    },
    ['from_portal', 'to_portal', 'content', 'message_type', 'file_url', 'created_at'],
  );
  const messages: V09Message[] = [];
  for (const row of rows) {
    const sourceId = idOf(row);
    const skip = (reason: string): void => void skipped.push({ kind: 'messages', sourceId, reason });
    const from = text(row.from_portal);
    const to = text(row.to_portal);
    const fromUrl = from.ok ? normalizePortalUrl(from.value, true) : null;
    const toUrl = to.ok ? normalizePortalUrl(to.value, true) : null;
    let direction: 'out' | 'in';
    let peerUrl: string | null;
    if (ownUrl && fromUrl === ownUrl) [direction, peerUrl] = ['out', toUrl];
    else if (ownUrl && toUrl === ownUrl) [direction, peerUrl] = ['in', fromUrl];
    else if (fromUrl && known.has(fromUrl)) [direction, peerUrl] = ['in', fromUrl];
    else if (toUrl && known.has(toUrl)) [direction, peerUrl] = ['out', toUrl];
    else {
      skip(
        !from.ok
          ? `from_portal ${from.problem}`
          : !to.ok
            ? `to_portal ${to.problem}`
            : 'neither from_portal nor to_portal is this Portal or a contact',
      );
      continue;
    }
    if (!peerUrl) {
      skip(`the other Portal's URL is missing or not a URL`);
      continue;
    }
    const body = text(row.content);
    const fileUrl = text(row.file_url);
    if (!body.ok && body.problem !== 'is NULL') {
      skip(`content ${body.problem}`);
      continue;
    }
    // A v0.9 file message carries its link beside the text; the link is kept in the text.
    const parts = [body.ok ? body.value : '', fileUrl.ok && fileUrl.value.trim() ? `[file: ${fileUrl.value.trim()}]` : ''].filter(Boolean);
    if (parts.length === 0) {
      skip(body.ok ? 'content is empty' : 'content is NULL');
      continue;
    }
    const createdAt = timeOf(row);
    if (!createdAt) {
      skip('created_at is missing or not a time');
      continue;
    }
    messages.push({ sourceId, direction, peerUrl, content: parts.join('\n'), delivered: truthy(row.is_delivered), createdAt });
  }
  return chronological(messages);
}

export function readOwnerChat(tables: V09Tables, shape: TableShape, skipped: V09Skip[]): V09OwnerChat[] {
  const rows = tables.rows(
    shape,
    { id: shape.pick('id'), role: shape.require('role'), content: shape.require('content'), created_at: shape.require('created_at') },
    ['role', 'content', 'created_at'],
  );
  const chat: V09OwnerChat[] = [];
  for (const row of rows) {
    const sourceId = idOf(row);
    const skip = (reason: string): void => void skipped.push({ kind: 'ownerChat', sourceId, reason });
    const role = text(row.role);
    const content = text(row.content);
    if (!role.ok) skip(`role ${role.problem}`);
    else if (!content.ok) skip(`content ${content.problem}`);
    else if (!content.value) skip('content is empty');
    else {
      const createdAt = timeOf(row);
      if (!createdAt) skip('created_at is missing or not a time');
      // v0.9 wrote `owner` for the human and the agent's own word (agent, assistant, …) for the agent.
      else
        chat.push({
          sourceId,
          role: ['owner', 'user'].includes(role.value.trim().toLowerCase()) ? 'owner' : 'agent',
          content: content.value,
          createdAt,
        });
    }
  }
  return chronological(chat);
}

export function readGuestbook(tables: V09Tables, shape: TableShape, skipped: V09Skip[]): V09GuestbookEntry[] {
  const rows = tables.rows(
    shape,
    {
      id: shape.pick('id'),
      name: shape.pick('name', 'guest_name', 'author'),
      content: shape.require('content'),
      is_read: shape.pick('is_read'),
      status: shape.pick('status'),
      created_at: shape.require('created_at'),
    },
    ['name', 'content', 'status', 'created_at'],
  );
  const entries: V09GuestbookEntry[] = [];
  for (const row of rows) {
    const sourceId = idOf(row);
    const skip = (reason: string): void => void skipped.push({ kind: 'guestbook', sourceId, reason });
    const content = text(row.content);
    const status = text(row.status);
    const name = text(row.name);
    if (!content.ok) skip(`content ${content.problem}`);
    else if (!content.value.trim()) skip('content is empty');
    else if (status.ok && status.value.trim().toLowerCase() === 'deleted') skip('deleted in v0.9');
    else {
      const createdAt = timeOf(row);
      if (!createdAt) skip('created_at is missing or not a time');
      else
        entries.push({
          sourceId,
          name: (name.ok && cleanName(name.value)) || 'Visitor',
          message: content.value,
          read: truthy(row.is_read),
          createdAt,
        });
    }
  }
  return chronological(entries);
}

export function readFiles(tables: V09Tables, shape: TableShape, ownUrl: string | null, known: Set<string>, skipped: V09Skip[]): V09File[] {
  const chunks = tables.shape('file_chunks');
  const rows = tables.rows(
    shape,
    {
      id: shape.require('file_id', 'id'),
      name: shape.pick('file_name', 'filename', 'name', 'original_name'),
      mime: shape.pick('mime_type', 'content_type', 'mime'),
      status: shape.require('status'),
      from_portal: shape.pick('from_portal', 'sender_portal'),
      sha256: shape.pick('sha256', 'file_hash', 'checksum'),
      created_at: shape.pick('created_at'),
    },
    ['name', 'mime', 'status', 'from_portal', 'sha256', 'created_at'],
  );
  if (rows.length > 0 && !chunks) throw new V09RefusedError('table file_transfers has rows but there is no file_chunks table');
  const chunkId = chunks?.require('file_id');
  const chunkIndex = chunks?.require('chunk_index');
  chunks?.require('data', 'chunk_data');
  const files: V09File[] = [];
  for (const row of rows) {
    const sourceId = String(row.id ?? '');
    const skip = (reason: string): void => void skipped.push({ kind: 'files', sourceId, reason });
    const status = text(row.status);
    if (!status.ok || status.value.trim().toLowerCase() !== 'completed') {
      skip(`not completed in v0.9 (status ${status.ok ? status.value : status.problem})`);
      continue;
    }
    const indexes = tables.db
      .prepare(
        `SELECT ${quote(chunkIndex!)} AS i, ${quote(chunks!.require('data', 'chunk_data'))} IS NULL AS missing FROM ${quote(chunks!.table)} WHERE ${quote(chunkId!)} = ? ORDER BY ${quote(chunkIndex!)}`,
      )
      .all(row.id) as Array<{ i: unknown; missing: number }>;
    if (indexes.length === 0) {
      skip('no chunks stored');
      continue;
    }
    const gap = indexes.findIndex((chunk, position) => Number(chunk.i) !== position || chunk.missing);
    if (gap >= 0) {
      skip(`chunk ${gap} is missing`);
      continue;
    }
    const name = text(row.name);
    const mime = text(row.mime);
    const from = text(row.from_portal);
    const fromUrl = from.ok ? normalizePortalUrl(from.value, true) : null;
    const sha = text(row.sha256);
    const createdAt = timeOf(row) ?? new Date();
    files.push({
      sourceId,
      name: name.ok && name.value.trim() ? name.value : `file-${sourceId}`,
      mime: mime.ok ? mime.value : 'application/octet-stream',
      fromPortal: fromUrl && fromUrl !== ownUrl && known.has(fromUrl) ? fromUrl : null,
      createdAt,
      chunkCount: indexes.length,
      expectedSha256: sha.ok && /^[0-9a-f]{64}$/i.test(sha.value.trim()) ? sha.value.trim().toLowerCase() : null,
    });
  }
  return chronological(files);
}
