import { ApiProperty } from '@nestjs/swagger';

export class RotationLinkDto {
  @ApiProperty({ description: 'The key rotated away from.' }) fromKeyId: string;
  @ApiProperty({ description: 'Its raw Ed25519 public key, base64url.' }) fromPublicKey: string;
  @ApiProperty({ description: 'The key that replaced it.' }) toKeyId: string;
  @ApiProperty({ description: "The old key's Ed25519 signature (base64url) of the rotation statement (Portal URL, both keys)." })
  proof: string;
  @ApiProperty({ format: 'date-time' }) rotatedAt: string;
}

/** A Portal's public identity, as /.well-known/agent-p2p publishes it. */
export class PublicIdentityDto {
  @ApiProperty({ enum: ['ed25519'] }) alg: 'ed25519';
  @ApiProperty({ description: 'The key id signatures name (keyid): base64url of 16 bytes of SHA-256 over the public key.' }) keyId: string;
  @ApiProperty({ description: 'The raw 32-byte Ed25519 public key, base64url.' }) publicKey: string;
  @ApiProperty({
    description: 'Six groups of five digits from the key, for two owners to read to each other.',
    example: '01234 56789 01234 56789 01234 56789',
  })
  fingerprint: string;
  @ApiProperty({
    type: [RotationLinkDto],
    description: 'The latest rotations, oldest first: contacts that pinned an older key follow them.',
  })
  rotations: RotationLinkDto[];
}

/** This Portal's identity as its owner and agent see it. */
export class IdentityDto extends PublicIdentityDto {
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({
    enum: ['generated', 'configured'],
    description: 'generated: made and kept by this Portal (rotatable); configured: PORTAL_IDENTITY_KEY.',
  })
  source: 'generated' | 'configured';
}

export class IdentityRotationResponseDto {
  @ApiProperty({ type: IdentityDto, description: 'The new identity.' }) identity: IdentityDto;
  @ApiProperty({ description: 'The fingerprint before.' }) previousFingerprint: string;
  @ApiProperty({
    type: 'integer',
    description: 'Contacts told, each by a notice signed with the old key (delivered by the outbox, retried while they are down).',
  })
  contactsNotified: number;
}
