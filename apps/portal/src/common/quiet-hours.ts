/** Quiet hours: a daily span of local time (in the owner's time zone) when wakes wait. */

/** Minutes after local midnight; start > end spans midnight (22:00-07:00). */
export interface QuietHours {
  startMinute: number;
  endMinute: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "22:00-07:00" → quiet hours; '' → null; anything else → an Error saying what is expected. */
export function parseQuietHours(value: string): QuietHours | null {
  const text = value.trim();
  if (text === '') return null;
  const [start, end, ...rest] = text.split('-').map((part) => part.trim());
  const a = HHMM.exec(start ?? '');
  const b = HHMM.exec(end ?? '');
  if (!a || !b || rest.length > 0) throw new Error('must be HH:MM-HH:MM in 24-hour time (e.g. 22:00-07:00), or empty');
  const startMinute = Number(a[1]) * 60 + Number(a[2]);
  const endMinute = Number(b[1]) * 60 + Number(b[2]);
  if (startMinute === endMinute) throw new Error('must not start and end at the same minute');
  return { startMinute, endMinute };
}

export function formatQuietHours(hours: QuietHours): string {
  const hhmm = (minute: number): string => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  return `${hhmm(hours.startMinute)}-${hhmm(hours.endMinute)}`;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Minutes after local midnight in `timeZone`. */
export function localMinute(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return (hour % 24) * 60 + minute;
}

export function inQuietHours(now: Date, hours: QuietHours | null, timeZone: string): boolean {
  if (!hours) return false;
  const minute = localMinute(now, timeZone);
  return hours.startMinute < hours.endMinute
    ? minute >= hours.startMinute && minute < hours.endMinute
    : minute >= hours.startMinute || minute < hours.endMinute;
}

/**
 * When the quiet span that holds `now` ends (searching minute by minute up to a day ahead; quiet
 * hours are whole minutes, so this is exact). `now` itself when it is not quiet.
 */
export function quietEndsAt(now: Date, hours: QuietHours | null, timeZone: string): Date {
  if (!inQuietHours(now, hours, timeZone)) return now;
  const start = Math.floor(now.getTime() / 60_000) * 60_000;
  for (let minute = 1; minute <= 24 * 60 + 1; minute++) {
    const at = new Date(start + minute * 60_000);
    if (!inQuietHours(at, hours, timeZone)) return at;
  }
  return now;
}
