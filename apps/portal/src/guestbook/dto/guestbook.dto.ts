import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { QueryBoolean, QueryInteger } from '../../common/query-integer';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
/** Hard cap on the message field; the configured limit (PORTAL_GUESTBOOK_MAX_MESSAGE_CHARS, 413 beyond) is usually lower. */
export const GUESTBOOK_MESSAGE_HARD_CAP = 100_000;
export const MAX_GUESTBOOK_ID = 2_147_483_647;

export class GuestbookEntryCreateDto {
  @ApiProperty({ description: 'How the visitor signs (plain text).', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({
    description: 'The message (plain text, kept as typed). Longer than PORTAL_GUESTBOOK_MAX_MESSAGE_CHARS (default 2000): 413.',
    minLength: 1,
  })
  @IsString()
  @Length(1, GUESTBOOK_MESSAGE_HARD_CAP)
  @Matches(/\S/, { message: 'message must not be blank' })
  message: string;
}

export class GuestbookEntryCreatedDto {
  @ApiProperty({ type: 'integer' }) id: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class GuestbookEntryResponseDto {
  @ApiProperty({ type: 'integer' }) id: number;
  @ApiProperty({ description: 'As the visitor typed it: render as text, never as HTML.' }) name: string;
  @ApiProperty({ description: 'As the visitor typed it: render as text, never as HTML.' }) message: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty() read: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt: string | null;
}

export class GuestbookListQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    description: "Entries with an id greater than this (the previous page's nextAfter).",
    minimum: 0,
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(MAX_GUESTBOOK_ID)
  after?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ type: Boolean, description: 'true: only entries not marked read.' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  unread?: boolean;
}

export class GuestbookListResponseDto {
  @ApiProperty({ type: [GuestbookEntryResponseDto], description: 'Oldest first.' })
  entries: GuestbookEntryResponseDto[];

  @ApiProperty({ type: 'integer', nullable: true, description: 'Pass as `after` for the next page; null when this was the last.' })
  nextAfter: number | null;
}

export class GuestbookEntryUpdateDto {
  @ApiProperty({ description: 'Mark the entry read (true) or unread (false).' })
  @IsBoolean()
  read: boolean;
}
