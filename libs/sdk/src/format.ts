/**
 * How sizes and waits are written for people, the same in the CLI, the Bridge's wake texts and the
 * console: powers of 1024 with binary units (KiB, MiB, GiB), and durations in the largest unit that
 * keeps them short.
 */

/** Bytes as "512 B", "3.40 MiB", "12.5 GiB", "100 KiB" (fractions of a byte are rounded). */
export function formatBytes(count: number): string {
  if (!Number.isFinite(count)) return `${count} B`;
  const sign = count < 0 ? '-' : '';
  let value = Math.abs(count);
  if (value < 1024) return `${sign}${Math.round(value)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  value /= 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sign}${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}

/** A wait in seconds as "45 s", "3 min", "1 h 5 min", "2 d 3 h" (rounded up to the unit shown). */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.ceil(total / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}
