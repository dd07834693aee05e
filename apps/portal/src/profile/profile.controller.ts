import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ProfileResponseDto, ProfileUpdateDto, WellKnownResponseDto } from './dto/profile.dto';
import { ProfileService } from './profile.service';

@ApiTags('profile')
@Controller()
export class ProfileController {
  constructor(private readonly profile: ProfileService) {}

  @Get('api/me')
  @Auth('owner', 'agent')
  @ApiOperation({ summary: "This Portal's profile" })
  @ApiOkResponse({ type: ProfileResponseDto })
  getMe(): Promise<ProfileResponseDto> {
    return this.profile.get();
  }

  @Patch('api/me')
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'Change the profile' })
  @ApiOkResponse({ type: ProfileResponseDto })
  updateMe(@Body() body: ProfileUpdateDto): Promise<ProfileResponseDto> {
    return this.profile.update(body);
  }

  @Get('.well-known/agent-p2p')
  @Auth('public')
  @ApiOperation({ summary: 'Public description of this Portal', description: 'Protocol version, URL and names. No secrets.' })
  @ApiOkResponse({ type: WellKnownResponseDto })
  getWellKnown(): Promise<WellKnownResponseDto> {
    return this.profile.wellKnown();
  }
}
