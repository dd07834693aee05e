/** Longest stored name, in bytes of UTF-8 (what common file systems allow for one name). */
export const MAX_NAME_BYTES = 255;

/**
 * A file name safe to store, show and offer for download: only the last path segment (so
 * `../../etc/passwd` and `/abs/x` lose their directories), without control, bidi-override or
 * Windows-reserved characters, without leading dots or surrounding spaces, capped at 255 bytes of
 * UTF-8 (keeping the extension where it fits). UTF-8 is kept as it is (NFC). Never empty.
 */
export function sanitizeFileName(input: string): string {
  let name = input.normalize('NFC');
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  const segments = name.split(/[/\\]+/).filter((segment) => segment.trim() !== '');
  name = segments.length > 0 ? segments[segments.length - 1] : '';
  name = name.replace(/[<>:"|?*]/g, '_');
  name = name.trim().replace(/^\.+/, '').replace(/[. ]+$/, '').trim();
  if (name === '') name = 'file';
  return truncateUtf8(name, MAX_NAME_BYTES);
}

function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name, 'utf8') <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const base = extension ? name.slice(0, dot) : name;
  const room = maxBytes - Buffer.byteLength(extension, 'utf8');
  let out = '';
  let used = 0;
  for (const char of base) {
    const bytes = Buffer.byteLength(char, 'utf8');
    if (used + bytes > room) break;
    out += char;
    used += bytes;
  }
  return out + extension;
}

/** RFC 5987 attr-char: everything else is percent-encoded from UTF-8. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 with
 * RFC 5987): every client gets a usable name, modern ones the exact UTF-8 name.
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
