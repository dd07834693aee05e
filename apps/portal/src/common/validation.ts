import { type ArgumentMetadata, BadRequestException, type PipeTransform, ValidationPipe, type ValidationError } from '@nestjs/common';
import { isUUID, registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';

/** Type checks that, when failed, make the field's other messages (length, pattern) noise. */
const TYPE_CONSTRAINTS = ['isDefined', 'isString', 'isNumber', 'isInt', 'isBoolean', 'isObject', 'isArray', 'isEnum', 'isUuid', 'isUUID'];

function relevantMessages(constraints: Record<string, string>): string[] {
  const typeMessages = TYPE_CONSTRAINTS.filter((name) => name in constraints).map((name) => constraints[name]);
  return typeMessages.length > 0 ? typeMessages : Object.values(constraints);
}

function collect(errors: ValidationError[], prefix: string, into: Record<string, string[]>): void {
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) into[path] = relevantMessages(error.constraints);
    if (error.children?.length) collect(error.children, path, into);
  }
}

const NUL_STRIPPED = Symbol('nulStripped');

/**
 * A text field whose service removes control characters itself (a file name is sanitised, not
 * refused): the generic refusal of NUL characters leaves it alone.
 */
export function NulStripped(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    const names = (Reflect.getMetadata(NUL_STRIPPED, target) as Set<string | symbol> | undefined) ?? new Set<string | symbol>();
    Reflect.defineMetadata(NUL_STRIPPED, new Set([...names, propertyName]), target);
  };
}

/** Where strings hold a NUL character, as field paths ("name", "items.0.text"). */
function pathsWithNul(value: unknown, prefix: string, into: string[], depth = 0): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) into.push(prefix || 'value');
    return;
  }
  // The JSON parser caps nesting; the cap here only keeps a hand-built value from recursing forever.
  if (value === null || typeof value !== 'object' || depth > 64) return;
  const stripped = Reflect.getMetadata(NUL_STRIPPED, value) as Set<string | symbol> | undefined;
  for (const [key, child] of Object.entries(value)) {
    if (!stripped?.has(key)) pathsWithNul(child, prefix ? `${prefix}.${key}` : key, into, depth + 1);
  }
}

/**
 * A JSON body must be an object: arrays, strings, numbers and null are refused with a message that
 * says so (class-validator alone would report every field of the DTO as missing instead).
 * No text field of a body or query may hold a NUL character: PostgreSQL cannot store one in text,
 * and no field of the API has a use for it.
 */
class PortalValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      isDtoClass(metadata.metatype) &&
      value !== undefined &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `The request body must be a JSON object (got ${got})`,
      });
    }
    const validated = await super.transform(value, metadata);
    // After validation, so a field's own rule (e.g. "must not contain control characters") speaks first.
    if ((metadata.type === 'body' || metadata.type === 'query') && isDtoClass(metadata.metatype)) {
      const paths: string[] = [];
      pathsWithNul(validated, '', paths);
      if (paths.length > 0) {
        const fields = Object.fromEntries(paths.map((path) => [path, [`${path} must not contain NUL characters`]]));
        throw new BadRequestException({
          statusCode: 400,
          error: 'Bad Request',
          message: `Invalid request: ${paths.map((path) => `${path} must not contain NUL characters`).join('; ')}`,
          details: { fields },
        });
      }
    }
    return validated;
  }
}

/** whitelist + forbidNonWhitelisted + transform; errors list every bad field in details.fields. */
export function createValidationPipe(): ValidationPipe {
  return new PortalValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields: Record<string, string[]> = {};
      collect(errors, '', fields);
      const messages = Object.values(fields).flat();
      return new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: messages.length ? `Invalid request: ${messages.join('; ')}` : 'Invalid request',
        details: { fields },
      });
    },
  });
}

function isDtoClass(metatype: ArgumentMetadata['metatype']): boolean {
  return typeof metatype === 'function' && ![String, Boolean, Number, Array, Object, Buffer].includes(metatype as never);
}

/** A UUID path parameter: anything else is a 400 that names the parameter ("id must be a UUID"). */
export class UuidParamPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    if (typeof value === 'string' && isUUID(value)) return value.toLowerCase();
    throw new BadRequestException(`${metadata.data ?? 'id'} must be a UUID`);
  }
}

/**
 * An optional field that may be left out but not set to null. class-validator's @IsOptional()
 * skips null as well, which lets null reach NOT NULL columns (a 500 instead of a 400).
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/** RFC 3339 date-time (section 5.6): full date, "T", full time with seconds, "Z" or a numeric offset. */
const RFC3339_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * True for an RFC 3339 date-time that names a real instant in years 1 to 9999 (UTC), which every
 * database and Date can store. ISO 8601 forms outside RFC 3339 (week dates "2024-W01-1", ordinal
 * dates, the basic format "20240101T000000Z", dates without a time) and impossible dates
 * ("2026-02-30T00:00:00Z", a leap second) are refused.
 */
export function isRfc3339DateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = RFC3339_DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12) return false;
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  const instant = new Date(value);
  const utcYear = instant.getUTCFullYear();
  return Number.isFinite(instant.getTime()) && utcYear >= 1 && utcYear <= 9999;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** A date-time field: an RFC 3339 date-time such as 2026-01-31T12:00:00Z (see isRfc3339DateTime). */
export function IsRfc3339DateTime(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isRfc3339DateTime',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z`, ...options },
      validator: { validate: (value: unknown) => isRfc3339DateTime(value) },
    });
  };
}
