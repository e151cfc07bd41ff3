import { certificateChainPem, generateTestPki, TestPki, writeTestPki } from '@ccs/test-pki';
import { createTestSqliteDatabase, RunningService, serviceEnvironment, startService, TestDatabase } from '@ccs/test-support';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';

let pki: TestPki<'P-384'>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-e2e-tickets-'));
  pki = await generateTestPki({ clientKeys: ['P-384'] });
  writeTestPki(pki, join(dir, 'pki'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One request on a new connection, read to its end; how many TLS session tickets arrived on it, and over which protocol. */
async function ticketsOfOneRequest(port: number, client?: 'P-384'): Promise<{ tickets: number; protocol: string | null; response: string }> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: pki.rootCa.certificate.pem,
    cert: client && pki.clients[client].certificate.pem,
    key: client && pki.clients[client].privateKey.pem,
  });
  let tickets = 0;
  // A TLS 1.3 client emits 'session' for every NewSessionTicket it receives.
  socket.on('session', () => tickets++);
  await once(socket, 'secureConnect');
  socket.end('GET /key-capsules/KC00000000000000000000000000000000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const protocol = socket.getProtocol();
  await once(socket, 'close');
  return { tickets, protocol, response: Buffer.concat(chunks).toString('latin1') };
}

describe('TLS session tickets', () => {
  let database: TestDatabase;
  let sender: RunningService;
  let recipient: RunningService;
  let plain: Server;

  beforeAll(async () => {
    database = await createTestSqliteDatabase();
    const env = await serviceEnvironment(join(dir, 'pki'), database.url);
    [sender, recipient] = await Promise.all([startService('sender', env), startService('recipient', env)]);
    // A Node.js server without the services' OpenSSL settings: shows that tickets, when sent, are seen.
    plain = createServer({ cert: certificateChainPem(pki.server), key: pki.server.privateKey.pem, minVersion: 'TLSv1.3' }, (_request, response) => response.end());
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
  });

  afterAll(async () => {
    plain.close();
    expect(await Promise.all([sender.stop(), recipient.stop()])).toEqual([0, 0]);
    await database.drop();
  });

  it('are sent by a Node.js server left to its defaults', async () => {
    const seen = await ticketsOfOneRequest((plain.address() as AddressInfo).port);
    expect(seen.protocol).toBe('TLSv1.3');
    expect(seen.tickets).toBeGreaterThan(0);
  });

  it('are not sent by the sender service', async () => {
    const seen = await ticketsOfOneRequest(sender.port);
    expect(seen.protocol).toBe('TLSv1.3');
    expect(seen.response).toMatch(/^HTTP\/1\.1 405 /);
    expect(seen.tickets).toBe(0);
  });

  it('are not sent by the recipient service, to a client with a certificate either', async () => {
    const seen = await ticketsOfOneRequest(recipient.port, 'P-384');
    expect(seen.protocol).toBe('TLSv1.3');
    expect(seen.response).toMatch(/^HTTP\/1\.1 404 /);
    expect(seen.tickets).toBe(0);
  });
});
