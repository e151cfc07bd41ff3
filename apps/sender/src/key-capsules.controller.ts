import { formatExpiryTime, KeyCapsuleService } from '@ccs/domain';
import { addLogContext, HttpProblem, KeyCapsuleDto, PROBLEM_CONTENT, ProblemDetailsDto } from '@ccs/platform';
import { All, Controller, Headers, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiHeader,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiExtraModels,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { capsuleOf } from './capsule-request';

@ApiTags('cdoc2-key-capsules')
@ApiExtraModels(ProblemDetailsDto)
@Controller('key-capsules')
export class KeyCapsulesController {
  constructor(private readonly capsules: KeyCapsuleService) {}

  @Post()
  @ApiOperation({ operationId: 'createCapsule', summary: 'Add Key Capsule' })
  @ApiHeader({ name: 'x-expiry-time', required: false, description: 'Requested expiry, RFC 3339 date-time', schema: { type: 'string', format: 'date-time' } })
  @ApiBody({ type: KeyCapsuleDto })
  @ApiCreatedResponse({
    description: 'Created',
    headers: {
      Location: { description: '/key-capsules/{transactionId}', schema: { type: 'string' } },
      'x-expiry-time': { description: 'Expiry applied, whole-second UTC', schema: { type: 'string', format: 'date-time' } },
      'x-expiry-time-adjusted': { description: 'True when the requested expiry was shortened', schema: { type: 'boolean' } },
    },
  })
  @ApiBadRequestResponse({ description: 'Bad request. Client error.', content: PROBLEM_CONTENT })
  @ApiPayloadTooLargeResponse({ description: 'The body is larger than this server accepts.', content: PROBLEM_CONTENT })
  async create(@Req() request: Request, @Res() response: Response, @Headers('x-expiry-time') expiry?: string): Promise<void> {
    const stored = await this.capsules.store(capsuleOf(request), expiry);
    addLogContext(request, { transactionId: stored.transactionId });
    response
      .writeHead(201, {
        'Content-Length': 0,
        Location: `/key-capsules/${stored.transactionId}`,
        'x-expiry-time': formatExpiryTime(stored.expiresAt),
        'x-expiry-time-adjusted': String(stored.adjusted),
      })
      .end();
  }

  @All(':transactionId')
  @ApiExcludeEndpoint()
  notHere(@Res({ passthrough: true }) response: Response): never {
    response.setHeader('Allow', '');
    throw new HttpProblem(405, 'capsules are fetched from the recipient service');
  }
}
