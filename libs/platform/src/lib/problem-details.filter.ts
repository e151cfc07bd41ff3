import { CapsuleError, CapsuleErrorCode } from '@ccs/domain';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { requestIdOf } from './logging';

const STATUS_OF: Record<CapsuleErrorCode, number> = {
  invalid_capsule: 400,
  unknown_capsule_type: 400,
  invalid_expiry_time: 400,
  transaction_id_exhausted: 503,
};

interface Problem {
  status: number;
  detail?: string;
}

function problemOf(error: unknown): Problem {
  if (error instanceof CapsuleError) return { status: STATUS_OF[error.code], detail: error.message };
  if (error instanceof HttpProblem) return { status: error.status, detail: error.message };
  // Nest's own messages (e.g. "Cannot GET /x") are not echoed.
  if (error instanceof HttpException) return { status: error.getStatus() };
  return { status: 500 };
}

/** A client error whose message is written for the client and returned as the problem's detail. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

/** Every error becomes an RFC 9457 problem; unknown errors a bare 500 with nothing echoed. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const problem = problemOf(error);
    if (problem.status >= 500) {
      this.logger.error({ requestId: requestIdOf(http.getRequest<Request>()), stack: error instanceof Error ? error.stack : 'non-error thrown' }, 'request failed');
    }
    if (response.headersSent) {
      response.destroy();
      return;
    }
    response
      .status(problem.status)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: STATUS_CODES[problem.status] ?? 'Error',
          status: problem.status,
          ...(problem.detail ? { detail: problem.detail } : {}),
        }),
      );
  }
}
