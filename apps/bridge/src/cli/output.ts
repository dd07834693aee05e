/**
 * Printing for people and for machines. Text written by peers (names, messages, guestbook entries)
 * is untrusted: before it reaches a terminal every control character is shown escaped (\x1b, \u202e)
 * so a peer cannot move the cursor, recolour the screen or reorder text with bidi overrides.
 */

// C0 controls, DEL, C1 controls, and the Unicode bidi/format characters that reorder text.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const UNSAFE_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of untrusted text, safe for a terminal (newlines shown as \n too). */
export function safe(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(UNSAFE, escapeChar);
}

/** Untrusted text that may span lines: newlines kept, each following line indented. */
export function safeBlock(value: unknown, indent = '    '): string {
  if (value === null || value === undefined) return '';
  return indent + String(value).replace(/\r\n/g, '\n').replace(UNSAFE_EXCEPT_NEWLINE, escapeChar).split('\n').join('\n' + indent);
}

/** Cuts to at most max characters, marking the cut. */
export function cut(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : chars.slice(0, max - 1).join('') + '…';
}

/**
 * JSON for machines. JSON.stringify already escapes C0 controls; C1 and bidi characters are
 * escaped as well so the output is also harmless when it lands on a terminal.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One compact JSON line (for streams: one event per line). */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Left-aligned columns. Cells must already be safe text. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(width(title), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column] - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** "key: value" lines with aligned values. Values must already be safe text. */
export function fields(pairs: Array<[string, string]>): string {
  const keyWidth = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${(key + ':').padEnd(keyWidth + 1)} ${value}`).join('\n');
}

function width(text: string): number {
  return Array.from(text).length;
}

/** A timestamp as "2026-11-25 09:48:10Z" (UTC, seconds), or "-" when absent. */
export function time(value: string | null | undefined): string {
  if (!value) return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return safe(value);
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Bytes as "512 B", "3.4 MiB", "1.00 GiB". */
export function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = count / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}
