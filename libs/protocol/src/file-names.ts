/** Longest file name kept, in bytes of UTF-8 (what common file systems allow for one name). */
export const MAX_FILE_NAME_BYTES = 255;

/**
 * Characters dropped from names: C0/C1 controls and DEL, and the invisible format characters that
 * can make a name look like another one (bidi marks, overrides and isolates, zero-width characters,
 * line and paragraph separators, the Arabic letter mark, word joiners, the byte order mark).
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
/** Reserved in names on Windows; replaced by "_". */
const RESERVED = /[<>:"|?*]/g;

/**
 * A file name that is safe to store, show, offer for download and create inside a directory,
 * whoever chose it: only the last path segment (so `../../etc/passwd` and `/abs/x` lose their
 * directories), without control, invisible-format or Windows-reserved characters, without leading
 * dots or surrounding spaces, at most 255 bytes of UTF-8 (keeping a short extension), never empty,
 * "." or "..". UTF-8 is kept as it is (NFC). Every side cleans names with this one function.
 */
export function sanitizeFileName(input: string): string {
  let name = String(input).normalize('NFC').replace(INVISIBLE, '');
  const segments = name.split(/[/\\]+/).filter((segment) => segment.trim() !== '');
  name = segments.length > 0 ? segments[segments.length - 1] : '';
  name = name.replace(RESERVED, '_');
  name = name
    .trim()
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '')
    .trim();
  if (name === '') name = 'file';
  if (utf8Length(name) <= MAX_FILE_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const base = extension ? name.slice(0, dot) : name;
  const room = MAX_FILE_NAME_BYTES - utf8Length(extension);
  let out = '';
  let used = 0;
  for (const char of base) {
    const size = utf8Length(char);
    if (used + size > room) break;
    out += char;
    used += size;
  }
  return (out.trim() || 'file') + extension;
}

const encoder = new TextEncoder();

function utf8Length(value: string): number {
  return encoder.encode(value).length;
}
