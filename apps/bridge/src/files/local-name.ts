/** Longest local file name, in bytes of UTF-8 (what common file systems allow for one name). */
const MAX_NAME_BYTES = 255;

/**
 * A file name safe to create inside a directory: only the last path segment, without control,
 * bidi-override or Windows-reserved characters, without leading dots or surrounding spaces, at most
 * 255 bytes of UTF-8 (keeping a short extension), never empty, "." or "..". UTF-8 is kept (NFC).
 * The Portal sanitises names too; a name from a peer is cleaned again here all the same.
 */
export function localFileName(input: string): string {
  let name = String(input).normalize('NFC');
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, '');
  const segments = name.split(/[/\\]+/).filter((segment) => segment.trim() !== '');
  name = segments.length > 0 ? segments[segments.length - 1] : '';
  name = name.replace(/[<>:"|?*]/g, '_');
  name = name
    .trim()
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '')
    .trim();
  if (name === '') name = 'file';
  if (Buffer.byteLength(name, 'utf8') <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const base = extension ? name.slice(0, dot) : name;
  const room = MAX_NAME_BYTES - Buffer.byteLength(extension, 'utf8');
  let out = '';
  let used = 0;
  for (const char of base) {
    const size = Buffer.byteLength(char, 'utf8');
    if (used + size > room) break;
    out += char;
    used += size;
  }
  return (out.trim() || 'file') + extension;
}
