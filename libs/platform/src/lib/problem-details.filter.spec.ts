import 'reflect-metadata';
import { CapsuleError } from '@ccs/domain';
import { Controller, Get, INestApplication, Module, NotFoundException, Res } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Response } from 'express';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, NestPinoLogger, observeRequests } from './logging';
import { HttpProblem, ProblemDetailsFilter } from './problem-details.filter';
import { ServiceMetrics } from './service-metrics';

const INTERNAL = 'table key_capsule on db.internal';

@Controller()
class FailingController {
  @Get('bug')
  bug(): never {
    throw new Error(`lost ${INTERNAL}`);
  }

  @Get('capsule')
  capsule(): never {
    throw new CapsuleError('invalid_capsule', 'recipient_id is not a point on secp384r1');
  }

  @Get('problem')
  problem(): never {
    throw new HttpProblem(413, 'the request body is larger than this server accepts');
  }

  @Get('nest')
  nest(): never {
    throw new NotFoundException(`no route to ${INTERNAL}`);
  }

  @Get('half-sent')
  halfSent(@Res() response: Response): never {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.write('partial');
    throw new Error('failed after the headers');
  }
}

@Module({ controllers: [FailingController], providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }] })
class FailingModule {}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  error?: string;
}

describe('ProblemDetailsFilter in a Nest application', () => {
  const lines: Record<string, unknown>[] = [];
  let app: INestApplication;

  beforeAll(async () => {
    const logger = createLogger(
      { service: 'sender', log: { level: 'info', pretty: false } },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      }),
    );
    app = await NestFactory.create(FailingModule, new ExpressAdapter(), { logger: new NestPinoLogger(logger) });
    app.use(observeRequests(logger, new ServiceMetrics('sender')));
    await app.listen(0, '127.0.0.1');
  });

  afterAll(() => app.close());

  function call(path: string): Promise<Reply> {
    const { port } = app.getHttpServer().address() as AddressInfo;
    return new Promise((resolve) => {
      const request = httpRequest({ host: '127.0.0.1', port, path, headers: { 'X-Request-Id': `id${path.replace('/', '-')}` } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on('error', (error) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body, error: error.message }));
      });
      request.on('error', (error) => resolve({ status: 0, headers: {}, body: '', error: error.message }));
      request.end();
    });
  }

  it('answers an unknown error with a bare 500 problem that echoes nothing, and logs its stack under the request id', async () => {
    const reply = await call('/bug');
    expect(reply.status).toBe(500);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reply.headers['x-request-id']).toBe('id-bug');
    expect(JSON.parse(reply.body)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
    const failure = lines.find((line) => line['msg'] === 'request failed');
    expect(failure).toMatchObject({ level: 50, context: 'ProblemDetailsFilter', requestId: 'id-bug' });
    expect(String(failure?.['stack'])).toContain(`lost ${INTERNAL}`);
    expect(reply.body).not.toContain(INTERNAL);
  });

  it('maps a capsule error to 400 and an HttpProblem to its status, with their messages as the detail', async () => {
    expect(JSON.parse((await call('/capsule')).body)).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'recipient_id is not a point on secp384r1' });
    const problem = await call('/problem');
    expect(problem.status).toBe(413);
    expect(JSON.parse(problem.body)).toEqual({ type: 'about:blank', title: 'Payload Too Large', status: 413, detail: 'the request body is larger than this server accepts' });
  });

  it("keeps the status of Nest's own exceptions but not their messages", async () => {
    const reply = await call('/nest');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
    expect(reply.body).not.toContain(INTERNAL);
  });

  it('cuts the connection when the response had already begun, so that no partial answer looks complete', async () => {
    const reply = await call('/half-sent');
    // Whether the status line got out before the cut depends on the socket; a complete answer never does.
    expect(reply.error).toMatch(/^(socket hang up|aborted)$/);
    expect(lines.find((line) => line['requestId'] === 'id-half-sent')).toMatchObject({ level: 50, msg: 'request failed' });
  });
});
