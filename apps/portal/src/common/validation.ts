import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

function collect(errors: ValidationError[], prefix: string, into: Record<string, string[]>): void {
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) into[path] = Object.values(error.constraints);
    if (error.children?.length) collect(error.children, path, into);
  }
}

/** whitelist + forbidNonWhitelisted + transform; errors list every bad field in details.fields. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
