import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { UuidParamPipe } from '../common/validation';
import { Auth } from './auth.decorator';
import { OwnerKeyCreateDto, OwnerKeyCreatedDto, OwnerKeyResponseDto } from './dto/owner-key.dto';
import { KeysService } from './keys.service';

@ApiTags('keys')
@Controller('api/keys')
@Auth('owner', 'agent')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @ApiOperation({ summary: 'List owner keys (never their secrets)' })
  @ApiOkResponse({ type: [OwnerKeyResponseDto] })
  listKeys(): Promise<OwnerKeyResponseDto[]> {
    return this.keys.list();
  }

  @Post()
  @ApiOperation({ summary: 'Create an owner key', description: 'The secret is returned in this answer only.' })
  @ApiCreatedResponse({ type: OwnerKeyCreatedDto })
  createKey(@Body() body: OwnerKeyCreateDto): Promise<OwnerKeyCreatedDto> {
    return this.keys.create(body.name);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an owner key', description: 'The key stops working at once. Revoking twice is harmless.' })
  @ApiOkResponse({ type: OwnerKeyResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiBadRequestResponse({ description: 'id is not a UUID.', type: ErrorResponseDto })
  revokeKey(@Param('id', UuidParamPipe) id: string): Promise<OwnerKeyResponseDto> {
    return this.keys.revoke(id);
  }
}
