import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MAX_ROW_ID, QueryInteger } from '../../common/query-integer';
import { IsOmittable, NulStripped } from '../../common/validation';

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const FILE_STATUSES = ['uploading', 'sending', 'delivered', 'receiving', 'received', 'stored', 'failed'] as const;
type FileStatusValue = (typeof FILE_STATUSES)[number];
/** The chunks held, as inclusive index ranges in ascending order. */
const RECEIVED_RANGES = {
  type: 'array',
  items: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 },
  example: [
    [0, 41],
    [43, 99],
  ],
} as const;

export class FileCreateDto {
  @ApiPropertyOptional({
    description:
      'The contact to send to (local id). Omit it to keep the file on this Portal (direction local), to attach it to an owner-chat message; such a file is never sent.',
    example: 3,
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  contactId?: number;

  @ApiProperty({
    description:
      'File name shown to the contact. Sanitised: path parts, control characters and leading dots are removed; at most 255 bytes of UTF-8 are kept.',
    minLength: 1,
    maxLength: 4096,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  @NulStripped()
  name: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Bytes. At most PORTAL_MAX_FILE_BYTES (default 2 GiB).' })
  @IsInt()
  @Min(0)
  size: number;

  @ApiProperty({ description: 'SHA-256 of the whole file, hex.', pattern: '^[0-9a-fA-F]{64}$' })
  @Matches(SHA256_HEX, { message: 'sha256 must be 64 hex characters' })
  sha256: string;

  @ApiPropertyOptional({ description: 'Media type (default application/octet-stream).', maxLength: 255, example: 'application/pdf' })
  @IsOmittable()
  @IsString()
  @MaxLength(255)
  mime?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Your own id for the file. Creating the same id again returns the same upload.' })
  @IsOmittable()
  @IsUUID()
  id?: string;
}

export class FileListQueryDto {
  @ApiPropertyOptional({ description: 'Only this contact.', type: 'integer', minimum: 1, maximum: MAX_ROW_ID })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_ROW_ID)
  contactId?: number;

  @ApiPropertyOptional({
    enum: ['out', 'in', 'local'],
    description: 'out: files we send; in: files we received; local: files kept here for the owner chat.',
  })
  @IsOptional()
  @IsIn(['out', 'in', 'local'])
  direction?: 'out' | 'in' | 'local';

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class FileDeliveryDto {
  @ApiProperty({
    enum: ['pending', 'parked', 'delivered', 'failed'],
    description:
      "State of the current delivery step. parked: the contact's Portal has no room for the file now (see parkedReason); messages to the contact go on meanwhile, and the step is tried again at nextAttemptAt (sooner when the contact calls).",
  })
  status: 'pending' | 'parked' | 'delivered' | 'failed';
  @ApiProperty({
    enum: ['offer', 'chunk', 'complete'],
    description: 'The step: announcing the file, sending a chunk, asking the contact to verify.',
  })
  step: 'offer' | 'chunk' | 'complete';
  @ApiProperty({ type: 'integer', description: 'Attempts of this step so far.' }) attempts: number;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Pending or parked: the next try.' })
  nextAttemptAt: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: "When the contact's Portal first answered that it has no room for this step (null if it never did).",
  })
  parkedAt: string | null;
  @ApiProperty({
    enum: ['peer_quota', 'peer_storage'],
    nullable: true,
    type: String,
    description:
      "Why it was parked: peer_quota, over the quota the contact's Portal gives us; peer_storage, that Portal is out of disk space.",
  })
  parkedReason: 'peer_quota' | 'peer_storage' | null;
}

export class FileResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The contact; null for a local file.' }) contactId: number | null;
  @ApiProperty({
    enum: ['out', 'in', 'local'],
    description: 'out: to a contact; in: from a contact; local: kept on this Portal for the owner chat, never sent.',
  })
  direction: 'out' | 'in' | 'local';
  @ApiProperty({ description: 'Sanitised file name.' }) name: string;
  @ApiProperty({ type: 'integer' }) size: number;
  @ApiProperty() sha256: string;
  @ApiProperty() mime: string;
  @ApiProperty({ type: 'integer', description: 'Bytes per chunk (the last one may be shorter).' }) chunkSize: number;
  @ApiProperty({ type: 'integer', description: 'Number of chunks.' }) chunks: number;
  @ApiProperty({
    ...RECEIVED_RANGES,
    description:
      'The chunks stored and verified here, as inclusive index ranges [first, last] in ascending order (e.g. [[0, 41], [43, 99]]).',
  })
  receivedRanges: Array<[number, number]>;
  @ApiProperty({
    enum: [...FILE_STATUSES],
    description:
      'out: uploading → sending → delivered | failed (the relay to the contact runs while uploading; sending: every chunk is here and the whole file verified); in: receiving → received | failed; local: uploading → stored | failed.',
  })
  status: FileStatusValue;
  @ApiProperty({ nullable: true, type: String, description: 'Why the transfer failed.' }) error: string | null;
  @ApiProperty({ description: 'True while the content can be downloaded (GET /api/files/{id}/content).' }) contentAvailable: boolean;
  @ApiProperty({ type: FileDeliveryDto, nullable: true, description: 'Outgoing files: the relay to the contact (null for in and local).' })
  delivery: FileDeliveryDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Delivered (out) or received and verified (in).' })
  completedAt: string | null;
}

export class FileListResponseDto {
  @ApiProperty({ type: [FileResponseDto], description: 'Newest first.' }) files: FileResponseDto[];
}

export class FileChunkReceiptDto {
  @ApiProperty({ type: 'integer' }) index: number;
  @ApiProperty({ description: 'False when this chunk had already been stored (nothing changed).' }) stored: boolean;
  @ApiProperty({
    ...RECEIVED_RANGES,
    description: 'The chunks stored here now, as inclusive index ranges [first, last] in ascending order.',
  })
  receivedRanges: Array<[number, number]>;
  @ApiProperty({ enum: [...FILE_STATUSES] })
  status: FileStatusValue;
}

/** A file as the sending Portal announces it. */
export class FederationFileOfferDto {
  @ApiProperty({ format: 'uuid', description: "The sender's file id." })
  @IsUUID()
  id: string;

  @ApiProperty({ minLength: 1, maxLength: 4096 })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  @NulStripped()
  name: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  @IsInt()
  @Min(0)
  size: number;

  @ApiProperty({ pattern: '^[0-9a-fA-F]{64}$' })
  @Matches(SHA256_HEX, { message: 'sha256 must be 64 hex characters' })
  sha256: string;

  @ApiProperty({ maxLength: 255 })
  @IsString()
  @MaxLength(255)
  mime: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1024,
    maximum: 67108864,
    description:
      "Bytes per chunk. At least the receiver's PORTAL_FILE_MIN_CHUNK_BYTES (default 256 KiB) unless the file is one chunk, and at most PORTAL_FILE_MAX_CHUNKS chunks per file.",
  })
  @IsInt()
  @Min(1024)
  @Max(64 * 1048576)
  chunkSize: number;
}

/** What the receiving Portal holds of a file (the sender sends only what is missing). */
export class FederationFileStateDto {
  @ApiProperty({ format: 'uuid', description: "The sender's file id." }) id: string;
  @ApiProperty({ enum: ['receiving', 'received', 'failed'] }) status: 'receiving' | 'received' | 'failed';
  @ApiProperty({
    ...RECEIVED_RANGES,
    description: 'The chunks the receiver holds, as inclusive index ranges [first, last] in ascending order.',
  })
  receivedRanges: Array<[number, number]>;
}
