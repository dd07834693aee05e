import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { AgentPresenceService } from './agent-presence.service';
import { AgentStatusDto } from './dto/agent-status.dto';

@ApiTags('events')
@Controller('api/agent')
export class AgentStatusController {
  constructor(private readonly presence: AgentPresenceService) {}

  @Get('status')
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'Whether an agent is connected',
    description:
      'Whether an owner key (the Bridge, the MCP channel, the OpenClaw channel) follows the event stream of this Portal ' +
      'instance right now: open WS /ws sockets and long-polls, since when, and the last ack. Console sessions do not count.',
  })
  @ApiOkResponse({ type: AgentStatusDto })
  getAgentStatus(): AgentStatusDto {
    return this.presence.status();
  }
}
