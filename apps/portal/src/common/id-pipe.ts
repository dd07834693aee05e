import { BadRequestException, ParseIntPipe, ParseUUIDPipe } from '@nestjs/common';

/** Parses a small positive integer id from the path, with a clear message. */
export function idPipe(name: string): ParseIntPipe {
  return new ParseIntPipe({
    exceptionFactory: () => new BadRequestException(`${name} must be a positive integer`),
  });
}

/** Parses a UUID from the path, with a clear message. */
export function uuidPipe(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) });
}
