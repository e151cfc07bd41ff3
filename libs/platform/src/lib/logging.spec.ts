import express from 'express';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { addLogContext, createLogger, NestPinoLogger, observeRequests } from './logging';
import { ServiceMetrics } from './service-metrics';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'sender', log: { level: 'debug', pretty: false } }, stream) };
}

describe('createLogger on standard output', () => {
  /** Node arguments that run `statements` with `logger`, a service logger on standard output. */
  const withLogger = (statements: string) => [
    '--import',
    'tsx',
    '-e',
    `const logger = require(${JSON.stringify(require.resolve('./logging'))}).createLogger({ service: 'sender', log: { level: 'info', pretty: false } });
     ${statements}`,
  ];

  it('writes out every line logged before the process exits, even by process.exit right after', () => {
    const child = spawnSync(process.execPath, withLogger("for (let i = 0; i < 5000; i++) logger.info({ i }, 'line'); process.exit(0);"), {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    const lines = child.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { i: number });
    expect(lines.map((line) => line.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('writes out a line of an otherwise quiet process within about a second, without waiting for more lines', async () => {
    const child = spawn(process.execPath, withLogger("logger.info('only line'); setInterval(() => undefined, 60_000);"), {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [chunk] = (await once(child.stdout, 'data', { signal: AbortSignal.timeout(10_000) })) as [Buffer];
      expect(child.exitCode).toBeNull();
      expect(JSON.parse(chunk.toString('utf8'))).toMatchObject({ service: 'sender', msg: 'only line' });
    } finally {
      child.kill('SIGKILL');
    }
  }, 20_000);
});

describe('NestPinoLogger', () => {
  it('writes Nest calls as JSON lines with their context, fields and message', () => {
    const { lines, logger } = capture();
    const nest = new NestPinoLogger(logger);
    nest.log('Mapped {/key-capsules, POST} route', 'RouterExplorer');
    nest.warn({ certificateSerial: '0a', reason: 'expired' }, 'client certificate refused', 'ClientCertificate');
    nest.error('something broke', 'Error: something broke\n    at here', 'ExceptionHandler');
    nest.error(new Error('thrown'), 'Purge');
    nest.verbose('not at debug level', 'Quiet');
    expect(lines).toMatchObject([
      { level: 30, service: 'sender', context: 'RouterExplorer', msg: 'Mapped {/key-capsules, POST} route' },
      { level: 40, context: 'ClientCertificate', certificateSerial: '0a', reason: 'expired', msg: 'client certificate refused' },
      { level: 50, context: 'ExceptionHandler', stack: 'Error: something broke\n    at here', msg: 'something broke' },
      { level: 50, context: 'Purge', err: { message: 'thrown' }, msg: 'thrown' },
    ]);
    expect(lines).toHaveLength(4);
  });

  it('removes capsule, key and certificate fields wherever they are passed', () => {
    const { lines, logger } = capture();
    new NestPinoLogger(logger).warn(
      { capsule: { recipient_id: 'c2VjcmV0', ephemeral_key_material: 'a2V5', capsuleType: 'ecc_secp384r1' }, client: { subject: 'CN=MÄNNIK,MARI-LIIS', pem: '-----BEGIN', publicKey: 'spki' } },
      'careless call',
      'Somewhere',
    );
    expect(lines[0]).toMatchObject({ capsule: { capsuleType: 'ecc_secp384r1' }, client: {} });
    expect(JSON.stringify(lines[0])).not.toMatch(/c2VjcmV0|a2V5|MÄNNIK|BEGIN|spki/);
  });
});

describe('observeRequests', () => {
  let server: Server;
  let lines: Record<string, unknown>[];
  let metrics: ServiceMetrics;

  beforeAll(async () => {
    const captured = capture();
    lines = captured.lines;
    metrics = new ServiceMetrics('sender');
    const app = express();
    app.use(observeRequests(captured.logger, metrics));
    app.post('/key-capsules', (request, response) => {
      addLogContext(request, { transactionId: 'KC0123456789abcdef0123456789abcdef' });
      response.status(201).end();
    });
    app.get('/fail', (_request, response) => {
      response.status(500).end();
    });
    app.get('/never', () => undefined);
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterAll(() => server.close());

  function call(method: string, path: string, headers: Record<string, string> = {}): Promise<Record<string, string | string[] | undefined>> {
    return new Promise((resolve, reject) => {
      const { port } = server.address() as AddressInfo;
      httpRequest({ host: '127.0.0.1', port, method, path, headers }, (response) => {
        response.resume();
        response.on('end', () => setImmediate(() => resolve(response.headers)));
      })
        .on('error', reject)
        .end();
    });
  }

  it('echoes a valid X-Request-Id and logs one line with the request context', async () => {
    const headers = await call('POST', '/key-capsules', { 'X-Request-Id': 'client-id-1' });
    expect(headers['x-request-id']).toBe('client-id-1');
    const line = lines.find((l) => (l['req'] as { id?: string }).id === 'client-id-1');
    expect(line).toMatchObject({
      level: 30,
      msg: 'request completed',
      transactionId: 'KC0123456789abcdef0123456789abcdef',
      req: { method: 'POST', url: '/key-capsules' },
      res: { statusCode: 201 },
    });
    expect(typeof line?.['responseTime']).toBe('number');
    expect(line).not.toHaveProperty('headers');
  });

  it('uses the trace id of a traceparent, else a new UUID, never an invalid given id', async () => {
    const traced = await call('POST', '/key-capsules', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(traced['x-request-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const fresh = await call('POST', '/key-capsules', { 'X-Request-Id': 'no spaces or {braces}' });
    expect(fresh['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('logs a request whose client hung up before the answer as aborted, at warning level', async () => {
    const { port } = server.address() as AddressInfo;
    const request = httpRequest({ host: '127.0.0.1', port, path: '/never', headers: { 'X-Request-Id': 'hung-up' } });
    request.on('error', () => undefined);
    request.end();
    await new Promise((resolve) => setTimeout(resolve, 100));
    request.destroy();
    const deadline = Date.now() + 5000;
    while (!lines.some((l) => (l['req'] as { id?: string }).id === 'hung-up') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const line = lines.find((l) => (l['req'] as { id?: string }).id === 'hung-up');
    expect(line).toMatchObject({ level: 40, msg: 'request aborted', req: { url: '/never' } });
    expect(line).not.toHaveProperty('res');
  });

  it('logs server errors at error level and counts every response by route template', async () => {
    await call('GET', '/fail');
    await call('GET', '/nowhere');
    expect(lines.find((l) => (l['req'] as { url?: string }).url === '/fail')).toMatchObject({ level: 50, res: { statusCode: 500 } });
    const counted = (await metrics.requests.get()).values.map((v) => [v.labels['method'], v.labels['route'], v.labels['status'], v.value]);
    expect(counted).toEqual(
      expect.arrayContaining([
        ['POST', '/key-capsules', '201', 3],
        ['GET', '/fail', '500', 1],
        ['GET', 'unmatched', '404', 1],
        ['GET', '/never', 'aborted', 1],
      ]),
    );
  });
});
