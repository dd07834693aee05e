import { type ArgumentMetadata, BadRequestException, type PipeTransform } from '@nestjs/common';

/** A path id that is a small positive integer (the ids agents type); anything else is a 400. */
export class ParseIdPipe implements PipeTransform<string, number> {
  constructor(private readonly max = 2_147_483_647) {}

  transform(value: string, metadata?: ArgumentMetadata): number {
    if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > this.max) {
      throw new BadRequestException(`${metadata?.data ?? 'id'} must be an integer from 1 to ${this.max}`);
    }
    return Number(value);
  }
}
