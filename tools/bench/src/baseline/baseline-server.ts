import { capsuleTypes } from '@ccs/capsule-types';
import { CapsuleError, ExpiryPolicy, formatExpiryTime, hasValidTransactionIdLength, KeyCapsuleRepository, KeyCapsuleService } from '@ccs/domain';
import { ClientCertificateResult, ClientTrust, parsePemCertificates } from '@ccs/pki';
import { standardOutput } from '@ccs/platform/log-destination';
import { readFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { PostgresRawRepository, SqliteRawRepository } from './raw-repository';

/**
 * The framework-free baseline: node:https, the same domain use cases, capsule types, client trust and
 * database drivers as the services, one JSON log line per request; no Nest, Express, TypeORM or metrics.
 */
const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    port: { type: 'string' },
    database: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'client-ca': { type: 'string' },
  },
});
const role = values.role === 'recipient' ? 'recipient' : 'sender';
const BODY_LIMIT = 16_384;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// The services' own destination (without the rest of their platform library, Nest included).
const log = pino({ base: { service: `baseline-${role}` } }, standardOutput());

const url = String(values.database);
const repository: KeyCapsuleRepository & { close(): unknown } = url.startsWith('sqlite:')
  ? new SqliteRawRepository(url.slice('sqlite:'.length))
  : new PostgresRawRepository(url, 10);
const capsules = new KeyCapsuleService(repository, capsuleTypes, new ExpiryPolicy({ days: 1095 }, { days: 1825 }));
const clientCa = values['client-ca'] ? readFileSync(values['client-ca']) : undefined;
const trust = new ClientTrust(parsePemCertificates(clientCa?.toString('utf8') ?? ''), { mode: 'none' });
const byConnection = new WeakMap<TLSSocket, Promise<ClientCertificateResult>>();

function answer(response: ServerResponse, status: number, headers: Record<string, string> = {}, body?: string): void {
  response.writeHead(status, headers).end(body);
}

function problem(response: ServerResponse, status: number, detail: string): void {
  answer(response, status, { 'Content-Type': 'application/problem+json; charset=utf-8' }, JSON.stringify({ type: 'about:blank', status, detail }));
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) resolve(undefined);
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

async function store(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!String(request.headers['content-type']).startsWith('application/json')) return problem(response, 400, 'Content-Type must be application/json');
  const raw = await readBody(request);
  if (!raw) return problem(response, 413, 'the request body is larger than this server accepts');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return problem(response, 400, 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return problem(response, 400, 'the request body must be a JSON object');
  const { recipient_id, ephemeral_key_material, capsule_type } = body as Record<string, unknown>;
  if (typeof recipient_id !== 'string' || !BASE64.test(recipient_id)) return problem(response, 400, 'recipient_id must be base64');
  if (typeof ephemeral_key_material !== 'string' || !BASE64.test(ephemeral_key_material)) return problem(response, 400, 'ephemeral_key_material must be base64');
  if (typeof capsule_type !== 'string') return problem(response, 400, 'capsule_type must be a string');
  const expiry = request.headers['x-expiry-time'];
  const stored = await capsules.store(
    { capsuleType: capsule_type, recipientId: Buffer.from(recipient_id, 'base64'), ephemeralKeyMaterial: Buffer.from(ephemeral_key_material, 'base64') },
    typeof expiry === 'string' ? expiry : undefined,
  );
  answer(response, 201, {
    Location: `/key-capsules/${stored.transactionId}`,
    'x-expiry-time': formatExpiryTime(stored.expiresAt),
    'x-expiry-time-adjusted': String(stored.adjusted),
  });
}

async function fetch(request: IncomingMessage, response: ServerResponse, transactionId: string): Promise<void> {
  if (!hasValidTransactionIdLength(transactionId)) return answer(response, 400);
  const socket = request.socket as TLSSocket;
  let pending = byConnection.get(socket);
  if (!pending) byConnection.set(socket, (pending = trust.verifyConnection(socket)));
  const client = await pending;
  if (client.status !== 'authenticated') return problem(response, 401, 'a client certificate from a trusted CA is required');
  const capsule = await capsules.fetchFor(transactionId, client.identity.publicKey);
  if (!capsule) return answer(response, 404);
  answer(
    response,
    200,
    {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'x-expiry-time': formatExpiryTime(capsule.expiresAt),
      'x-expiry-time-adjusted': String(capsule.adjusted),
    },
    JSON.stringify({
      recipient_id: capsule.recipientId.toString('base64'),
      ephemeral_key_material: capsule.ephemeralKeyMaterial.toString('base64'),
      capsule_type: capsule.capsuleType,
    }),
  );
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (role === 'sender' && request.method === 'POST' && path === '/key-capsules') return store(request, response);
  if (role === 'recipient' && request.method === 'GET' && path.startsWith('/key-capsules/')) {
    return fetch(request, response, decodeURIComponent(path.slice('/key-capsules/'.length)));
  }
  answer(response, 404);
}

const server = createServer(
  {
    cert: readFileSync(String(values.cert)),
    key: readFileSync(String(values.key)),
    minVersion: 'TLSv1.3',
    ...(role === 'recipient' ? { ca: clientCa, requestCert: true, rejectUnauthorized: false } : {}),
  },
  (request, response) => {
    const started = performance.now();
    response.once('finish', () => log.info({ method: request.method, url: request.url, status: response.statusCode, ms: performance.now() - started }, 'request'));
    handle(request, response).catch((error: unknown) => {
      if (error instanceof CapsuleError) return problem(response, error.code === 'transaction_id_exhausted' ? 503 : 400, error.message);
      log.error({ error: error instanceof Error ? error.message : 'non-error' }, 'request failed');
      if (!response.headersSent) answer(response, 500);
    });
  },
);
server.keepAliveTimeout = 5_000;
server.listen(Number(values.port), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close(() => {
    void Promise.resolve(repository.close()).finally(() => process.exit(0));
  });
  server.closeAllConnections();
});
