import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { QueryInteger } from '../../common/query-integer';

/** Hard cap on the content field; the configured limit (PORTAL_MAX_MESSAGE_BYTES, 413 beyond) applies too. */
export const OWNER_CHAT_CONTENT_HARD_CAP = 1_000_000;
const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

export class OwnerChatMessageCreateDto {
  @ApiProperty({
    description: 'The text. At most PORTAL_MAX_MESSAGE_BYTES bytes of UTF-8 (default 64 KiB); more: 413.',
    minLength: 1,
  })
  @IsString()
  @Length(1, OWNER_CHAT_CONTENT_HARD_CAP)
  @Matches(/\S/, { message: 'content must not be blank' })
  content: string;
}

export class OwnerChatMessageResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: 'integer', description: 'Paging cursor (use with after/before); increases with every message.' }) cursor: number;
  @ApiProperty({ enum: ['owner', 'agent'], description: 'owner: written in the console; agent: written with an owner key.' })
  role: 'owner' | 'agent';
  @ApiProperty({ description: 'Plain text: render as text, never as HTML.' }) content: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class OwnerChatListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Messages after this cursor, oldest first.' })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(MAX_CURSOR)
  after?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'The newest messages before this cursor (older history).' })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_CURSOR)
  before?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class OwnerChatPageDto {
  @ApiProperty({ type: [OwnerChatMessageResponseDto], description: 'Oldest first.' }) messages: OwnerChatMessageResponseDto[];
  @ApiProperty({ description: 'More messages exist beyond this page in the direction asked (without after/before: older ones).' })
  hasMore: boolean;
}
