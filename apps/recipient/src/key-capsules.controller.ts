import { formatExpiryTime, hasValidTransactionIdLength, KeyCapsuleService } from '@ccs/domain';
import { addLogContext, HttpProblem, KeyCapsuleDto, PROBLEM_CONTENT, ProblemDetailsDto } from '@ccs/platform';
import { All, Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiExcludeEndpoint,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthenticatedRequest, ClientCertificateGuard } from './client-certificate.guard';

@ApiTags('cdoc2-key-capsules')
@ApiExtraModels(ProblemDetailsDto)
@Controller('key-capsules')
export class KeyCapsulesController {
  constructor(private readonly capsules: KeyCapsuleService) {}

  @Get(':transactionId')
  @UseGuards(ClientCertificateGuard)
  @ApiBasicAuth('mutualTLS')
  @ApiOperation({ operationId: 'getCapsuleByTransactionId', summary: 'Get key capsule for transactionId' })
  @ApiParam({ name: 'transactionId', schema: { type: 'string', minLength: 18, maxLength: 34 } })
  @ApiOkResponse({
    type: KeyCapsuleDto,
    headers: {
      'x-expiry-time': { description: 'Expiry, whole-second UTC', schema: { type: 'string', format: 'date-time' } },
      'x-expiry-time-adjusted': { description: 'True when the expiry requested at storage was shortened', schema: { type: 'boolean' } },
    },
  })
  @ApiBadRequestResponse({ description: 'Bad request. Client error.' })
  @ApiUnauthorizedResponse({ description: 'Client certificate was not presented with the request.', content: PROBLEM_CONTENT })
  @ApiNotFoundResponse({ description: 'Not found, expired, or not addressed to the client certificate.' })
  @ApiServiceUnavailableResponse({ description: 'The revocation status of the client certificate cannot be established now.', content: PROBLEM_CONTENT })
  async get(@Param('transactionId') transactionId: string, @Req() request: AuthenticatedRequest, @Res() response: Response): Promise<void> {
    if (!hasValidTransactionIdLength(transactionId)) {
      response.status(400).end();
      return;
    }
    addLogContext(request, { certificateSerial: request.client.serialNumber, keyFingerprint: request.client.keyFingerprint });
    const capsule = await this.capsules.fetchFor(transactionId, request.client.publicKey);
    if (!capsule) {
      // The same empty answer for unknown, expired and someone else's capsule.
      response.status(404).end();
      return;
    }
    // Key order and compact form are part of the contract: the reference's tests compare the string.
    const body = JSON.stringify({
      recipient_id: capsule.recipientId.toString('base64'),
      ephemeral_key_material: capsule.ephemeralKeyMaterial.toString('base64'),
      capsule_type: capsule.capsuleType,
    });
    // Written with Node's own response calls: Express's send() would only re-derive these headers.
    response
      .writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
        'x-expiry-time': formatExpiryTime(capsule.expiresAt),
        'x-expiry-time-adjusted': String(capsule.adjusted),
      })
      .end(body);
  }

  @All()
  @ApiExcludeEndpoint()
  notHere(@Res({ passthrough: true }) response: Response): never {
    response.setHeader('Allow', '');
    throw new HttpProblem(405, 'capsules are stored through the sender service');
  }
}
