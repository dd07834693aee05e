import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_ROW_ID, QueryInteger } from '../../common/query-integer';

export const REVIEW_PAGE = 50;
export const REVIEW_MAX_IDS = 500;

export class ReviewListQueryDto {
  @ApiPropertyOptional({ description: 'Only this contact.', type: 'integer', minimum: 1, maximum: MAX_ROW_ID })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_ROW_ID)
  contactId?: number;

  @ApiPropertyOptional({ description: "Items with an id greater than this (the previous page's last id).", type: 'integer', minimum: 0 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(MAX_ROW_ID)
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: REVIEW_PAGE })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class ReviewItemDto {
  @ApiProperty({ type: 'integer', description: 'Id of the review item (POST /api/review/release with ids).' }) id: number;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ description: "The contact's agent name (untrusted text chosen by the peer)." }) contactName: string;
  @ApiProperty({ format: 'uuid', description: 'The message (GET /api/messages/{id}).' }) messageId: string;
  @ApiProperty({ description: 'The content (untrusted text chosen by the peer), cut to 4000 characters.' }) content: string;
  @ApiProperty({ description: 'True when content is cut.' }) cut: boolean;
  @ApiProperty({
    enum: ['held', 'waiting'],
    description: "held: waits for the owner's decision; waiting: waits for quiet hours to end or for more messages to join its wake.",
  })
  state: 'held' | 'waiting';
  @ApiProperty({
    enum: ['budget', 'quiet_hours', 'coalescing'],
    description:
      "budget: the contact's woken turns for the window are used up; quiet_hours: wakes wait until they end; coalescing: about to wake.",
  })
  reason: 'budget' | 'quiet_hours' | 'coalescing';
  @ApiProperty({ format: 'date-time', description: "The sender's time of sending." }) sentAt: string;
  @ApiProperty({ format: 'date-time', description: 'When it arrived.' }) receivedAt: string;
}

export class QuietHoursStateDto {
  @ApiProperty({ nullable: true, type: String, description: 'HH:MM-HH:MM in timeZone; null: no quiet hours.', example: '22:00-07:00' })
  span: string | null;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ description: 'True while quiet hours hold wakes.' }) active: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the current quiet hours end.' }) endsAt:
    string | null;
}

export class ReviewPageDto {
  @ApiProperty({ type: [ReviewItemDto], description: 'Oldest first.' }) items: ReviewItemDto[];
  @ApiProperty() hasMore: boolean;
  @ApiProperty({ type: QuietHoursStateDto }) quietHours: QuietHoursStateDto;
}

export class ReviewActionDto {
  @ApiPropertyOptional({ type: [Number], description: 'Review item ids (from GET /api/review).', maxItems: REVIEW_MAX_IDS })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(REVIEW_MAX_IDS)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MAX_ROW_ID, { each: true })
  ids?: number[];

  @ApiPropertyOptional({ type: 'integer', description: "All of this contact's held and waiting messages.", minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ROW_ID)
  contactId?: number;
}

export class ReviewActionResultDto {
  @ApiProperty({ type: 'integer', description: 'Messages released or dropped.' }) count: number;
  @ApiProperty({ type: 'integer', description: 'Wakes of the agent this caused (release only; 0 for drop).' }) wakes: number;
}
