import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { MAX_ROW_ID, QueryInteger } from '../../common/query-integer';
import { IsRfc3339DateTime } from '../../common/validation';

export class MessageCreateDto {
  @ApiProperty({ description: 'The contact to send to (local id).', example: 3 })
  @IsInt()
  @Min(1)
  contactId: number;

  @ApiProperty({ description: 'The text. At most PORTAL_MAX_MESSAGE_BYTES bytes of UTF-8 (default 64 KiB).', minLength: 1 })
  @IsString()
  @MinLength(1)
  content: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Your own id for the message. Sending the same id again never makes a second message.',
  })
  @IsOptional()
  @IsUUID()
  id?: string;
}

export class MessageListQueryDto {
  @ApiPropertyOptional({ description: 'Only this contact.', type: 'integer', minimum: 1, maximum: MAX_ROW_ID })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_ROW_ID)
  contactId?: number;

  @ApiPropertyOptional({ description: 'Messages after this cursor (oldest first).', type: 'integer', minimum: 0, maximum: MAX_ROW_ID })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(MAX_ROW_ID)
  after?: number;

  @ApiPropertyOptional({
    description: 'Messages before this cursor (the newest ones before it).',
    type: 'integer',
    minimum: 1,
    maximum: MAX_ROW_ID,
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_ROW_ID)
  before?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Only messages containing this text (case-insensitive).', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q?: string;
}

export class MessageResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Opaque paging cursor (use with after/before).' }) cursor: number;
  @ApiProperty() contactId: number;
  @ApiProperty({ enum: ['out', 'in'] }) direction: 'out' | 'in';
  @ApiProperty({ description: 'For incoming messages: untrusted text written by the peer.' }) content: string;
  @ApiProperty({ enum: ['queued', 'delivered', 'failed', 'received'] }) status: 'queued' | 'delivered' | 'failed' | 'received';
  @ApiProperty({ description: 'Delivery attempts so far (outgoing).' }) attempts: number;
  @ApiProperty({ nullable: true, type: String, description: 'Why the last attempt failed (outgoing).' }) lastError: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the next attempt is due (queued).' })
  nextAttemptAt: string | null;
  @ApiProperty({ format: 'date-time' }) sentAt: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deliveredAt: string | null;
  @ApiProperty({
    enum: ['queued', 'delivered', 'held', 'seen', 'answered'],
    description:
      "How far the message got, forward only. Outgoing, as the contact's Portal reported it: delivered (stored there), held (waiting for its owner), " +
      'seen (its agent was woken with it), answered (its agent replied). Incoming: how far our agent got (reported to the sender). ' +
      'A failed message stays queued.',
  })
  stage: 'queued' | 'delivered' | 'held' | 'seen' | 'answered';
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When it reached its stage.' }) stageAt: string | null;
}

export class MessagePageDto {
  @ApiProperty({ type: [MessageResponseDto], description: 'Oldest first.' }) messages: MessageResponseDto[];
  @ApiProperty({ description: 'More messages exist beyond this page in the direction asked.' }) hasMore: boolean;
}

/** A message as one Portal delivers it to another. */
export class FederationMessageDto {
  @ApiProperty({ format: 'uuid', description: "The sender's message id (deduplication)." })
  @IsUUID()
  id: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  content: string;

  @ApiProperty({ enum: ['text'] })
  @IsIn(['text'])
  type: 'text';

  @ApiProperty({ format: 'date-time', description: 'RFC 3339, e.g. 2026-01-31T12:00:00Z.' })
  @IsRfc3339DateTime()
  sentAt: string;
}

export class FederationMessageReceiptDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ description: 'True when this message had already been received.' }) duplicate: boolean;
}

/** Most messages one batch may carry (a sender sends fewer when their bytes would exceed its cap). */
export const MAX_FEDERATION_BATCH = 100;

/** Several messages to one contact in one call, oldest first (a per-destination transaction). */
export class FederationMessageBatchDto {
  @ApiProperty({ type: [FederationMessageDto], minItems: 1, maxItems: MAX_FEDERATION_BATCH, description: 'Stored in this order.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FEDERATION_BATCH)
  @ValidateNested({ each: true })
  @Type(() => FederationMessageDto)
  messages: FederationMessageDto[];
}

export class FederationBatchItemErrorDto {
  @ApiProperty({ example: 413 }) statusCode: number;
  @ApiProperty() message: string;
}

/** The outcome of one message of a batch: its receipt, or why it was refused. */
export class FederationMessageBatchResultDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiPropertyOptional({ format: 'date-time' }) receivedAt?: string;
  @ApiPropertyOptional({ description: 'True when this message had already been received.' }) duplicate?: boolean;
  @ApiPropertyOptional({
    type: FederationBatchItemErrorDto,
    description: 'Present when this message was refused (the others are not affected).',
  })
  error?: FederationBatchItemErrorDto;
}

export class FederationMessageBatchResponseDto {
  @ApiProperty({ type: [FederationMessageBatchResultDto], description: 'One result per message, in the order sent.' })
  results: FederationMessageBatchResultDto[];
}
