import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { QueryInteger } from '../../common/query-integer';
import { IsOmittable } from '../../common/validation';
import { OwnerChatAttachmentDto } from '../../events/events.service';

/** Declared with the owner_chat.message event payload, which carries it too. */
export { OwnerChatAttachmentDto };

/** Hard cap on the content field; the configured limit (PORTAL_MAX_MESSAGE_BYTES, 413 beyond) applies too. */
export const OWNER_CHAT_CONTENT_HARD_CAP = 1_000_000;
/** At most this many files on one message. */
export const OWNER_CHAT_MAX_ATTACHMENTS = 10;
const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

export class OwnerChatMessageCreateDto {
  @ApiProperty({
    description:
      'The text. At most PORTAL_MAX_MESSAGE_BYTES bytes of UTF-8 (default 64 KiB); more: 413. May be empty only when files are attached.',
  })
  @IsString()
  @Length(0, OWNER_CHAT_CONTENT_HARD_CAP)
  content: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: OWNER_CHAT_MAX_ATTACHMENTS,
    description:
      'Files to attach, by id: any file on this Portal whose content is complete (contentAvailable), e.g. a local file uploaded with POST /api/files without contactId, or a file received from a contact.',
  })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(OWNER_CHAT_MAX_ATTACHMENTS)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  fileIds?: string[];
}

export class OwnerChatMessageAttachmentDto extends OwnerChatAttachmentDto {
  @ApiProperty({ description: 'False once the file was deleted or its content removed.' }) available: boolean;
}

export class OwnerChatMessageResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: 'integer', description: 'Paging cursor (use with after/before); increases with every message.' }) cursor: number;
  @ApiProperty({ enum: ['owner', 'agent'], description: 'owner: written in the console; agent: written with an owner key.' })
  role: 'owner' | 'agent';
  @ApiProperty({ description: 'Plain text: render as text, never as HTML. Empty when the message only carries files.' }) content: string;
  @ApiProperty({ type: [OwnerChatMessageAttachmentDto], description: 'Attached files (may be empty).' })
  attachments: OwnerChatMessageAttachmentDto[];
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
