import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { AUTONOMY_TIERS, type AutonomyTier } from '../../common/autonomy';
import { QueryInteger } from '../../common/query-integer';

const NO_CONTROL = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

export class ContactCreateDto {
  @ApiProperty({ description: "The other Portal's URL (https).", example: 'https://bob-portal.example.com', maxLength: 2048 })
  @IsString()
  @Length(1, 2048)
  portalUrl: string;

  @ApiPropertyOptional({ description: "A note for the other Portal's owner.", maxLength: 1000, default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @Matches(NO_CONTROL, { message: 'message must not contain control characters' })
  message?: string;
}

export class ContactListQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'active', 'rejected', 'removed', 'imported'], description: 'Default: all but removed.' })
  @IsOptional()
  @IsIn(['pending', 'active', 'rejected', 'removed', 'imported'])
  status?: 'pending' | 'active' | 'rejected' | 'removed' | 'imported';
}

/** Where our request to become a contact stands (outgoing contacts). */
export class ContactRequestDeliveryDto {
  @ApiProperty({
    enum: ['sending', 'delivered', 'undelivered', 'refused', 'rejected'],
    description:
      'sending: not yet at their Portal; delivered: their Portal stored it, their owner decides; undelivered: attempts failed (retried while the contact is pending, given up once it is rejected); refused: their Portal refused it for good (its policy), see error; rejected: their owner said no.',
  })
  state: 'sending' | 'delivered' | 'undelivered' | 'refused' | 'rejected';
  @ApiProperty({ type: 'integer', description: 'Delivery attempts so far.' }) attempts: number;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "undelivered: the last delivery error; refused: their Portal's reason (untrusted text). Else null.",
  })
  error: string | null;
  @ApiProperty({ format: 'date-time', description: 'When the state last changed.' }) updatedAt: string;
}

export class ContactPeerRefusalDto {
  @ApiProperty({ description: "Their Portal's reason code and words (untrusted text), e.g. identity_changed: …" }) reason: string;
  @ApiProperty({ format: 'date-time' }) since: string;
}

/** The peer's identity key as this Portal has pinned it. */
export class ContactIdentityDto {
  @ApiProperty({
    enum: ['unpinned', 'pinned', 'changed'],
    description:
      "pinned: the peer's calls must be signed by this key; unpinned: no key yet (a contact from before signed calls: its first signed call pins it); changed: the peer presents another key without a rotation signed by the pinned one, and its calls are refused until the owner re-pins (POST /api/contacts/{id}/identity/repin).",
  })
  state: 'unpinned' | 'pinned' | 'changed';
  @ApiProperty({ nullable: true, type: String }) keyId: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Six groups of five digits, for the owners to read to each other.' })
  fingerprint: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) pinnedAt: string | null;
  @ApiProperty({ description: "The owner marked the fingerprint as compared with the contact's owner." }) compared: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) comparedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'changed: the fingerprint the peer presents now.' })
  presentedFingerprint: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'changed: since when.' }) changedAt: string | null;
  @ApiProperty({
    type: ContactPeerRefusalDto,
    nullable: true,
    description:
      "The peer refuses this Portal's signed calls (e.g. it pinned another key for us); deliveries keep retrying. Null once a call goes through.",
  })
  refusedByPeer: ContactPeerRefusalDto | null;
}

export class ContactComparedDto {
  @ApiProperty({ description: "true: the fingerprint was compared with the contact's owner (owner only); false: not (yet)." })
  @IsBoolean()
  compared: boolean;
}

export class ContactRepinDto {
  @ApiProperty({
    description: "The fingerprint the owner compared with the contact's owner; the key is pinned only if the peer presents this one.",
    example: '01234 56789 01234 56789 01234 56789',
  })
  @IsString()
  @Matches(/^[0-9][0-9 -]{28,40}[0-9]$/, { message: 'fingerprint must be the 30 digits, in groups or not' })
  fingerprint: string;
}

export class ContactResponseDto {
  @ApiProperty({ description: 'Local contact id (small integer).', example: 3 }) id: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty({
    enum: ['pending', 'active', 'rejected', 'removed', 'imported'],
    description:
      'imported: brought in from a v0.9.x database, history only; a new handshake (POST /api/contacts with its portalUrl) makes it pending, then active.',
  })
  status: 'pending' | 'active' | 'rejected' | 'removed' | 'imported';
  @ApiProperty({ enum: ['outgoing', 'incoming'], description: 'outgoing: we asked; incoming: they asked.' })
  direction: 'outgoing' | 'incoming';
  @ApiProperty({ description: "The peer's agent name (known once the peer answered)." }) agentName: string;
  @ApiProperty() ownerName: string;
  @ApiProperty({
    enum: AUTONOMY_TIERS,
    description:
      "How freely the agent talks to this contact: blocked (kept, never wakes the agent), notify-only (the agent is told, to inform the owner, not to reply), bounded (default: a budget of woken turns per window, then messages wait for the owner's review), extended (a larger budget).",
  })
  autonomy: AutonomyTier;
  @ApiProperty({
    type: ContactRequestDeliveryDto,
    nullable: true,
    description: 'Outgoing contacts: the delivery of our request. Null for incoming and imported contacts.',
  })
  request: ContactRequestDeliveryDto | null;
  @ApiProperty({ type: ContactIdentityDto, description: "The peer's identity key: pinned fingerprint, compared mark, changes." })
  identity: ContactIdentityDto;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ContactAutonomyDto {
  @ApiProperty({
    enum: AUTONOMY_TIERS,
    description: 'An agent key may only lower the tier (towards blocked); raising it is for the owner.',
  })
  @IsIn(AUTONOMY_TIERS)
  tier: AutonomyTier;
}

export class ContactRequestListQueryDto {
  @ApiPropertyOptional({
    enum: ['verifying', 'pending', 'approved', 'rejected', 'invalid'],
    description: 'Default: verifying and pending.',
  })
  @IsOptional()
  @IsIn(['verifying', 'pending', 'approved', 'rejected', 'invalid'])
  status?: 'verifying' | 'pending' | 'approved' | 'rejected' | 'invalid';

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: "Requests with an id greater than this (the previous page's last id)." })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  after?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 200,
    default: 50,
    description: 'Requests per page; a shorter page is the last.',
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class ContactRequestResponseDto {
  @ApiProperty({ description: 'Local request id (small integer).', example: 7 }) id: number;
  @ApiProperty({ format: 'uri', description: 'The Portal that asks.' }) portalUrl: string;
  @ApiProperty({ description: 'As the requesting Portal describes itself (untrusted text).' }) agentName: string;
  @ApiProperty({ description: 'Untrusted text.' }) ownerName: string;
  @ApiProperty({ description: 'Untrusted text.' }) message: string;
  @ApiProperty({ enum: ['verifying', 'pending', 'approved', 'rejected', 'invalid'] })
  status: 'verifying' | 'pending' | 'approved' | 'rejected' | 'invalid';
  @ApiProperty({ description: 'True once the requesting Portal confirmed it sent this request.' }) verified: boolean;
  @ApiProperty({ nullable: true, type: Number, description: 'The contact created on approval.' }) contactId: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}
