import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsUUID, ValidateNested } from 'class-validator';
import { IsRfc3339DateTime } from '../../common/validation';

/** Stages a contact's Portal may report for one of our messages (delivered is the answer to the delivery itself). */
export const RECEIPT_STAGES = ['held', 'seen', 'answered'] as const;
export type ReceiptStage = (typeof RECEIPT_STAGES)[number];

/** Most receipts one call may carry. */
export const MAX_FEDERATION_RECEIPTS = 100;

/** One receipt: a message the caller received from us reached a stage. */
export class FederationReceiptDto {
  @ApiProperty({ format: 'uuid', description: "The message's id as we sent it (the receiver's remote id)." })
  @IsUUID()
  messageId: string;

  @ApiProperty({
    enum: RECEIPT_STAGES,
    description: "held: waiting for the receiver's owner; seen: its agent was woken with it; answered: its agent replied.",
  })
  @IsIn(RECEIPT_STAGES)
  stage: ReceiptStage;

  @ApiProperty({ format: 'date-time', description: 'When the receiver recorded the stage (RFC 3339).' })
  @IsRfc3339DateTime()
  at: string;
}

/** Receipts from one contact, oldest first. */
export class FederationReceiptBatchDto {
  @ApiProperty({ type: [FederationReceiptDto], minItems: 1, maxItems: MAX_FEDERATION_RECEIPTS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FEDERATION_RECEIPTS)
  @ValidateNested({ each: true })
  @Type(() => FederationReceiptDto)
  items: FederationReceiptDto[];
}

/** What became of one receipt. */
export class FederationReceiptResultDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({
    enum: ['applied', 'unchanged', 'unknown'],
    description:
      'applied: the message moved to this stage; unchanged: it was there or beyond already; unknown: no message we sent to the caller has this id (ignored).',
  })
  result: 'applied' | 'unchanged' | 'unknown';
}

export class FederationReceiptBatchResponseDto {
  @ApiProperty({ type: [FederationReceiptResultDto], description: 'One result per receipt, in the order sent.' })
  results: FederationReceiptResultDto[];
}
