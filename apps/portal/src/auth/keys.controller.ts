import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
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
  revokeKey(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<OwnerKeyResponseDto> {
    return this.keys.revoke(id);
  }
}
