import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ReviewActionDto, ReviewActionResultDto, ReviewListQueryDto, ReviewPageDto } from './dto/review.dto';
import { ReviewService } from './review.service';

@ApiTags('review')
@Controller('api/review')
export class ReviewController {
  constructor(private readonly review: ReviewService) {}

  @Get()
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: "Contacts' messages that wait for the owner or for their wake",
    description:
      "held: the contact's budget of woken turns is used up, the owner decides (release or drop). waiting: quiet hours or coalescing; they wake on their own. Oldest first, paged with `after`.",
  })
  @ApiOkResponse({ type: ReviewPageDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  listReview(@Query() query: ReviewListQueryDto): Promise<ReviewPageDto> {
    return this.review.list(query);
  }

  @Post('release')
  @HttpCode(200)
  @Auth('owner')
  @ApiOperation({
    summary: 'Release messages to the agent (owner only)',
    description:
      'Wakes the agent with them now, one wake per contact (quiet hours and budgets do not apply). An agent key is refused with 403.',
  })
  @ApiOkResponse({ type: ReviewActionResultDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'An id that is not in the queue, or an unknown contact.', type: ErrorResponseDto })
  releaseReview(@Body() body: ReviewActionDto): Promise<ReviewActionResultDto> {
    return this.review.release(body);
  }

  @Post('drop')
  @HttpCode(200)
  @Auth('owner')
  @ApiOperation({
    summary: 'Let messages wake nobody (owner only)',
    description: 'They leave the queue and stay in the history. An agent key is refused with 403.',
  })
  @ApiOkResponse({ type: ReviewActionResultDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  dropReview(@Body() body: ReviewActionDto): Promise<ReviewActionResultDto> {
    return this.review.drop(body);
  }
}
