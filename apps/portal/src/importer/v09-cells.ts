/**
 * Reading the cells of a v0.9 row: text decoded strictly (bytes that are not UTF-8 are reported,
 * never altered), flags, names, and the several ways v0.9 wrote a time.
 */

export type Row = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type TextResult = { ok: true; value: string } | { ok: false; problem: string };

/** A text cell, decoded strictly as UTF-8, without NUL characters (which PostgreSQL text cannot hold). */
export function text(value: unknown): TextResult {
  if (value === null || value === undefined) return { ok: false, problem: 'is NULL' };
  if (typeof value === 'string') return { ok: true, value: value.replace(/\u0000/g, '') };
  if (typeof value === 'number' || typeof value === 'bigint') return { ok: true, value: String(value) };
  if (Buffer.isBuffer(value)) {
    try {
      return { ok: true, value: utf8.decode(value).replace(/\u0000/g, '') };
    } catch {
      return { ok: false, problem: 'is not UTF-8 text' };
    }
  }
  return { ok: false, problem: 'is not text' };
}

export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.alloc(0);
}

export function idOf(row: Row): string {
  return row.id === null || row.id === undefined ? '?' : String(row.id);
}

export function truthy(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  const decoded = text(value);
  return decoded.ok && ['1', 'true', 'yes', 't'].includes(decoded.value.trim().toLowerCase());
}

/** Names are shown in lists: one line, at most 100 characters. */
export function cleanName(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 100);
}

/** Oldest first; rows with the same time keep the v0.9 order (its ids). */
export function chronological<T extends { createdAt: Date; sourceId: string }>(rows: T[]): T[] {
  const idOrder = (id: string): number => (/^\d+$/.test(id) ? Number(id) : Number.MAX_SAFE_INTEGER);
  return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || idOrder(a.sourceId) - idOrder(b.sourceId));
}

/** The row's created_at as a time (its SQLite type tells an epoch number from text). */
export function timeOf(row: Row): Date | null {
  if (row.created_at_type === 'integer' || row.created_at_type === 'real') {
    const decoded = text(row.created_at);
    return decoded.ok ? parseV09Time(Number(decoded.value)) : null;
  }
  const decoded = text(row.created_at);
  return decoded.ok ? parseV09Time(decoded.value) : null;
}

/**
 * v0.9 timestamps: SQLite `CURRENT_TIMESTAMP` ('2025-03-01 12:00:00', UTC), Python's
 * `str(datetime.now())` ('2025-03-01 12:00:00.123456', the server's clock, taken as UTC since
 * nothing records its zone), `isoformat()` with or without an offset, a date alone, or Unix
 * seconds (or milliseconds). Anything else is not a time.
 */
export function parseV09Time(value: string | number): Date | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return null;
    const date = new Date(value > 1e11 ? value : value * 1000);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
    value.trim(),
  );
  if (!match) {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return parseV09Time(Number(value.trim()));
    return null;
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = match;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(time);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return new Date(time);
}
