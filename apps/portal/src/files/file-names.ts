import { sanitizeFileName } from '@agent-p2p/protocol';

/** Names are cleaned by the one cleaner every side uses (libs/protocol). */
export { sanitizeFileName };

/** RFC 5987 attr-char: everything else is percent-encoded from UTF-8. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 with
 * RFC 5987): every client gets a usable name, modern ones the exact UTF-8 name. Written here rather
 * than with the content-disposition package because that package leaves out filename* whenever the
 * fallback equals the name, and the Portal always sends both forms (clients read one shape).
 */
export function contentDisposition(name: string): string {
  const safe = sanitizeFileName(name);
  const fallback = safe.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
}

/** A media type of the form type/subtype (parameters dropped); anything else becomes application/octet-stream. */
export function sanitizeMime(input: string | undefined): string {
  const value = (input ?? '').split(';')[0].trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(value) ? value : 'application/octet-stream';
}
