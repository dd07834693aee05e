import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { PROTOCOL_VERSION } from '../common/version';
import type { ProfileResponseDto, ProfileUpdateDto, WellKnownResponseDto } from './dto/profile.dto';
import { Profile } from './entities/profile.entity';
import { IdentityService } from '../identity/identity.service';

const PROFILE_ID = 1;

@Injectable()
export class ProfileService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(Profile) private readonly profiles: Repository<Profile>,
    private readonly identity: IdentityService,
  ) {}

  async createInitial(manager: EntityManager): Promise<void> {
    await manager.insert(Profile, {
      id: PROFILE_ID,
      agentName: this.config.initialAgentName,
      ownerName: this.config.initialOwnerName,
      avatarText: '',
      bio: '',
      updatedAt: new Date(),
    });
  }

  async get(): Promise<ProfileResponseDto> {
    return this.toResponse(await this.load());
  }

  /** The names of this Portal's profile (what the handshake sends), without the identity. */
  async names(): Promise<{ agentName: string; ownerName: string }> {
    const profile = await this.load();
    return { agentName: profile.agentName, ownerName: profile.ownerName };
  }

  async update(changes: ProfileUpdateDto): Promise<ProfileResponseDto> {
    const profile = await this.load();
    Object.assign(profile, stripUndefined(changes), { updatedAt: new Date() });
    await this.profiles.save(profile);
    return this.toResponse(profile);
  }

  async wellKnown(): Promise<WellKnownResponseDto> {
    const profile = await this.load();
    const { createdAt: _createdAt, source: _source, ...identity } = await this.identity.describe();
    return {
      protocol: 'agent-p2p',
      protocolVersion: PROTOCOL_VERSION,
      portalUrl: this.config.publicUrl,
      agentName: profile.agentName,
      ownerName: profile.ownerName,
      avatarText: profile.avatarText,
      bio: profile.bio,
      identity,
    };
  }

  private async load(): Promise<Profile> {
    const profile = await this.profiles.findOne({ where: { id: PROFILE_ID } });
    if (!profile) throw new NotFoundException('The profile has not been created yet');
    return profile;
  }

  private async toResponse(profile: Profile): Promise<ProfileResponseDto> {
    return {
      identity: await this.identity.describe(),
      agentName: profile.agentName,
      ownerName: profile.ownerName,
      avatarText: profile.avatarText,
      bio: profile.bio,
      publicUrl: this.config.publicUrl,
      updatedAt: profile.updatedAt.toISOString(),
    };
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
