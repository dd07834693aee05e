import { type ArgumentMetadata, BadRequestException, type PipeTransform, ValidationPipe, type ValidationError } from '@nestjs/common';
import { isUUID, ValidateIf } from 'class-validator';

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

/**
 * A JSON body must be an object: arrays, strings, numbers and null are refused with a message that
 * says so (class-validator alone would report every field of the DTO as missing instead).
 */
class PortalValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && isDtoClass(metadata.metatype) && value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `The request body must be a JSON object (got ${got})`,
      });
    }
    return super.transform(value, metadata);
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
