import { Transform } from 'class-transformer';

/** The largest row id or cursor a client may name: an INTEGER column's maximum on PostgreSQL. */
export const MAX_ROW_ID = 2_147_483_647;

/**
 * Query strings arrive as text: accept only plain decimal integers ("12", "-3") and turn anything
 * else ("", "1.5", "abc", "1e3") into NaN, so @IsInt() refuses it with a clear 400.
 */
export function QueryInteger(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && /^-?\d{1,20}$/.test(value.trim())) return Number(value.trim());
    return Number.NaN;
  });
}

/** Query booleans: "true"/"1" and "false"/"0"; anything else stays as text so @IsBoolean() refuses it. */
export function QueryBoolean(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (value === 'true' || value === '1' || value === true) return true;
    if (value === 'false' || value === '0' || value === false) return false;
    return value;
  });
}
