import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentPrincipal, type Principal } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { ContactRequestsService } from './contact-requests.service';
import { ContactsService } from './contacts.service';
import {
  ContactAutonomyDto,
  ContactCreateDto,
  ContactListQueryDto,
  ContactRequestListQueryDto,
  ContactRequestResponseDto,
  ContactResponseDto,
} from './dto/contact.dto';
import { OutgoingRequestsService } from './outgoing-requests.service';

@ApiTags('contacts')
@Controller('api')
@Auth('owner', 'agent')
export class ContactsController {
  constructor(
    private readonly contacts: ContactsService,
    private readonly outgoing: OutgoingRequestsService,
    private readonly requests: ContactRequestsService,
  ) {}

  @Post('contacts')
  @ApiOperation({
    summary: 'Ask another Portal to become a contact',
    description: 'Returns at once with status pending; the Portal delivers the request and the other owner decides.',
  })
  @ApiCreatedResponse({ type: ContactResponseDto })
  @ApiConflictResponse({ description: 'Already a pending or active contact.', type: ErrorResponseDto })
  createContact(@Body() body: ContactCreateDto): Promise<ContactResponseDto> {
    return this.outgoing.create(body.portalUrl, body.message ?? '');
  }

  @Get('contacts')
  @ApiOperation({ summary: 'List contacts', description: 'Default: pending, active and rejected (not removed).' })
  @ApiOkResponse({ type: [ContactResponseDto] })
  listContacts(@Query() query: ContactListQueryDto): Promise<ContactResponseDto[]> {
    return this.contacts.list(query.status);
  }

  @Get('contacts/:id')
  @ApiOperation({ summary: 'One contact' })
  @ApiOkResponse({ type: ContactResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getContact(@Param('id', ParseIdPipe) id: number): Promise<ContactResponseDto> {
    return this.contacts.get(id);
  }

  @Put('contacts/:id/autonomy')
  @ApiOperation({
    summary: 'Set how freely the agent talks to a contact',
    description:
      'blocked < notify-only < bounded < extended. The owner may choose any tier; an agent key may only lower it (403 when it tries to raise it).',
  })
  @ApiOkResponse({ type: ContactResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiForbiddenResponse({ description: 'An agent key tried to raise the tier.', type: ErrorResponseDto })
  setContactAutonomy(
    @Param('id', ParseIdPipe) id: number,
    @Body() body: ContactAutonomyDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ContactResponseDto> {
    return this.contacts.setAutonomy(id, body.tier, principal.kind);
  }

  @Delete('contacts/:id')
  @ApiOperation({ summary: 'Remove a contact', description: 'The shared key stops working on both sides; the peer is told.' })
  @ApiOkResponse({ type: ContactResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  removeContact(@Param('id', ParseIdPipe) id: number): Promise<ContactResponseDto> {
    return this.contacts.remove(id);
  }

  @Get('contact-requests')
  @ApiOperation({
    summary: 'Contact requests other Portals sent',
    description:
      'Default: those being verified or waiting for a decision. Oldest first, paged: pass the last id as `after` for the next page (a page shorter than `limit` is the last).',
  })
  @ApiOkResponse({ type: [ContactRequestResponseDto] })
  listContactRequests(@Query() query: ContactRequestListQueryDto): Promise<ContactRequestResponseDto[]> {
    return this.requests.listRequests(query);
  }

  @Post('contact-requests/:id/approve')
  @HttpCode(200)
  @ApiOperation({
    summary: "Approve a contact request (only on the owner's word)",
    description: 'Creates the contact and tells the requester.',
  })
  @ApiOkResponse({ type: ContactResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Not verified yet, or already decided.', type: ErrorResponseDto })
  approveContactRequest(@Param('id', ParseIdPipe) id: number): Promise<ContactResponseDto> {
    return this.requests.approve(id);
  }

  @Post('contact-requests/:id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a contact request', description: 'A verified requester is told.' })
  @ApiOkResponse({ type: ContactRequestResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  rejectContactRequest(@Param('id', ParseIdPipe) id: number): Promise<ContactRequestResponseDto> {
    return this.requests.reject(id);
  }
}
