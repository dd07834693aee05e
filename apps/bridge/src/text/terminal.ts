/**
 * Printing for people and for machines. Text written by peers (names, messages, guestbook entries)
 * is untrusted: before it reaches a terminal every control character is shown escaped (\x1b, \u202e)
 * so a peer cannot move the cursor, recolour the screen or reorder text with bidi overrides.
 */

import { formatBytes } from '@agent-p2p/sdk';
import { UNTRUSTED_NOTE_EN, untrustedLine, visibleEscape } from './untrusted';

/**
 * Text a peer or a visitor wrote (names, messages, file names, Portal URLs, notes), for the text
 * output an agent reads: on one line, every control shown escaped, inside the untrusted marker, so
 * no line of a listing can be forged by it. "-" when absent or empty. Cut to max characters ("…").
 */
export function framed(value: unknown, max?: number): string {
  if (value === null || value === undefined || value === '') return '-';
  return untrustedLine(String(value), max).text;
}

/** The line that closes a listing with framed text: what the marker means. */
export const FRAMED_NOTE = UNTRUSTED_NOTE_EN;

// C0 controls, DEL, C1 controls, and the Unicode bidi/format characters that reorder text.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const UNSAFE_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** One line of untrusted text, safe for a terminal (newlines shown as \n too). */
export function safe(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(UNSAFE, visibleEscape);
}

/** Untrusted text that may span lines: newlines kept, each following line indented. */
export function safeBlock(value: unknown, indent = '    '): string {
  if (value === null || value === undefined) return '';
  return (
    indent +
    String(value)
      .replace(/\r\n/g, '\n')
      .replace(UNSAFE_EXCEPT_NEWLINE, visibleEscape)
      .split('\n')
      .join('\n' + indent)
  );
}

/** C1 controls and bidi characters, which JSON.stringify leaves as they are. */
const JSON_UNESCAPED = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeJson(json: string): string {
  return json.replace(JSON_UNESCAPED, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON for machines. JSON.stringify already escapes C0 controls; C1 and bidi characters are
 * escaped as well so the output is also harmless when it lands on a terminal.
 */
export function toJson(value: unknown): string {
  return escapeJson(JSON.stringify(value, null, 2));
}

/** One compact JSON line (for streams: one event per line). */
export function toJsonLine(value: unknown): string {
  return escapeJson(JSON.stringify(value));
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

/**
 * The columns a terminal gives a text: East Asian wide and fullwidth characters (CJK, Hangul, kana,
 * fullwidth forms, most emoji) take two, combining marks and zero-width characters none.
 */
export function width(text: string): number {
  let columns = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (isZeroWidth(code)) continue;
    columns += isWide(code) ? 2 : 1;
  }
  return columns;
}

function isZeroWidth(code: number): boolean {
  return (
    (code >= 0x0300 && code <= 0x036f) ||
    (code >= 0x1ab0 && code <= 0x1aff) ||
    (code >= 0x20d0 && code <= 0x20ff) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0xfe20 && code <= 0xfe2f) ||
    code === 0x200b ||
    code === 0x200c ||
    code === 0x200d
  );
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** A timestamp as "2026-11-25 09:48:10Z" (UTC, seconds), or "-" when absent. */
export function time(value: string | null | undefined): string {
  if (!value) return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return safe(value);
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** Bytes as "512 B", "3.40 MiB", "1.00 GiB" (the SDK's one formatter, shared with the console). */
export const bytes = formatBytes;
