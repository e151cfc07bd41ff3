import { capsuleTypeFor, ephemeralKeyMaterial, generateTestPki, recipientId, TestPki, writeTestPki } from '@ccs/test-pki';
import { createTestDatabase, createTestSqliteDatabase, RunningService, serviceEnvironment, startService, TestDatabase } from '@ccs/test-support';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { call, ClientCredentials, Reply } from './support/https-call';

let pki: TestPki<'P-384'>;
let dir: string;
let ca: string;
const TOKEN = 'e2e-management-token-0123456789';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-e2e-ops-'));
  pki = await generateTestPki({ clientKeys: ['P-384'] });
  writeTestPki(pki, join(dir, 'pki'));
  ca = pki.rootCa.certificate.pem;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const client = (): ClientCredentials => ({ cert: pki.clients['P-384'].certificate.pem, key: pki.clients['P-384'].privateKey.pem });
const capsule = () => ({
  recipient_id: recipientId(pki.clients['P-384']).toString('base64'),
  ephemeral_key_material: ephemeralKeyMaterial('P-384').toString('base64'),
  capsule_type: capsuleTypeFor('P-384'),
});
const idOf = (reply: Reply) => String(reply.headers.location).replace('/key-capsules/', '');

const environment = (database: TestDatabase, extra: Record<string, string> = {}) => serviceEnvironment(join(dir, 'pki'), database.url, extra);

function post(sender: RunningService, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return call(`${sender.url}/key-capsules`, { method: 'POST', ca, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
}

function get(recipient: RunningService, transactionId: string, headers: Record<string, string> = {}): Promise<Reply> {
  return call(`${recipient.url}/key-capsules/${transactionId}`, { ca, client: client(), headers });
}

async function management(service: RunningService, path: string, token: string | null = TOKEN): Promise<{ status: number; body: string }> {
  const response = await fetch(`${service.managementUrl}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.text() };
}

/** The sum of the Prometheus samples named `name` whose labels include all of `labels`. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return metrics
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe.each(['sqlite', 'postgres'] as const)('management listener on %s', (dialect) => {
  let database: TestDatabase;
  let sender: RunningService;
  let recipient: RunningService;

  beforeAll(async () => {
    database = dialect === 'sqlite' ? await createTestSqliteDatabase() : await createTestDatabase();
    const env = await environment(database, { CCS_MANAGEMENT_TOKEN: TOKEN });
    [sender, recipient] = await Promise.all([startService('sender', env), startService('recipient', env)]);
  });

  afterAll(async () => {
    expect(await Promise.all([sender.stop(), recipient.stop()])).toEqual([0, 0]);
    await database.drop();
  });

  it.each(['/health/live', '/health/ready', '/metrics', '/openapi.json'])('refuses %s without the bearer token', async (path) => {
    expect((await management(sender, path, null)).status).toBe(401);
    expect((await management(recipient, path, 'Bearer-of-a-wrong-token-0000000')).status).toBe(401);
  });

  it('reports both services live and ready', async () => {
    for (const service of [sender, recipient]) {
      expect(await management(service, '/health/live')).toEqual({ status: 200, body: '{"status":"UP"}' });
      const ready = await management(service, '/health/ready');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: 'UP', checks: { database: true, tls: true, shuttingDown: false } });
    }
  });

  it('counts requests by route template and capsules by outcome, with no capsule, key or id in a label', async () => {
    const stored = capsule();
    const created = await post(sender, stored);
    expect(created.status).toBe(201);
    expect((await get(recipient, idOf(created))).status).toBe(200);
    expect((await get(recipient, 'KC00000000000000000000000000000000')).status).toBe(404);

    const sent = (await management(sender, '/metrics')).body;
    const received = (await management(recipient, '/metrics')).body;
    expect(sample(sent, 'ccs_capsules_stored_total')).toBeGreaterThanOrEqual(1);
    expect(sample(sent, 'ccs_http_requests_total', { method: 'POST', route: '/key-capsules', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(sample(sent, 'ccs_http_request_duration_seconds_count', { route: '/key-capsules', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(sample(received, 'ccs_capsules_served_total')).toBeGreaterThanOrEqual(1);
    expect(sample(received, 'ccs_capsules_not_found_total')).toBeGreaterThanOrEqual(1);
    expect(sample(received, 'ccs_http_requests_total', { method: 'GET', route: '/key-capsules/:transactionId', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(received, 'ccs_purge_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(received, 'ccs_client_certificate_check_duration_seconds_count', { outcome: 'authenticated' })).toBeGreaterThanOrEqual(1);
    expect(received).toMatch(/^process_cpu_seconds_total\{service="recipient"\} /m);
    for (const text of [sent, received]) {
      expect(text).not.toContain(idOf(created));
      expect(text).not.toContain('KC00000000000000000000000000000000');
      expect(text).not.toContain(stored.recipient_id);
      expect(text).not.toContain(stored.ephemeral_key_material);
    }
    if (dialect === 'postgres') expect(sample(sent, 'ccs_database_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  });

  it('counts a refused TLS 1.2 handshake by its reason', async () => {
    const before = sample((await management(sender, '/metrics')).body, 'ccs_tls_handshake_failures_total');
    await expect(call(`${sender.url}/key-capsules`, { ca, maxVersion: 'TLSv1.2' })).rejects.toThrow();
    const metrics = (await management(sender, '/metrics')).body;
    expect(sample(metrics, 'ccs_tls_handshake_failures_total')).toBe(before + 1);
    expect(metrics).toMatch(/^ccs_tls_handshake_failures_total\{reason="[A-Z0-9_]+",service="sender"\} \d+$/m);
  });

  it('serves each service’s OpenAPI document with only its own operation', async () => {
    const senderDocument = JSON.parse((await management(sender, '/openapi.json')).body);
    const recipientDocument = JSON.parse((await management(recipient, '/openapi.json')).body);
    expect(Object.keys(senderDocument.paths)).toEqual(['/key-capsules']);
    expect(Object.keys(senderDocument.paths['/key-capsules'])).toEqual(['post']);
    expect(Object.keys(recipientDocument.paths)).toEqual(['/key-capsules/{transactionId}']);
    expect(Object.keys(recipientDocument.paths['/key-capsules/{transactionId}'])).toEqual(['get']);
  });
});

describe('logs of a full exchange at debug level', () => {
  let database: TestDatabase;
  let sender: RunningService;
  let recipient: RunningService;
  let logs: string;
  let transactionId: string;
  const sent = () => capsule();
  let stored: ReturnType<typeof sent>;

  beforeAll(async () => {
    database = await createTestSqliteDatabase();
    const env = await environment(database, { CCS_LOG_LEVEL: 'debug' });
    [sender, recipient] = await Promise.all([startService('sender', env), startService('recipient', env)]);
    stored = sent();
    const created = await post(sender, stored, { 'X-Request-Id': 'e2e-post-request' });
    expect(created.status).toBe(201);
    expect(created.headers['x-request-id']).toBe('e2e-post-request');
    transactionId = idOf(created);
    const fetched = await get(recipient, transactionId, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(fetched.status).toBe(200);
    expect(fetched.headers['x-request-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const refused = await post(sender, { ...stored, ephemeral_key_material: Buffer.alloc(97, 4).toString('base64') });
    expect(refused.status).toBe(400);
    expect((await get(recipient, 'KC00000000000000000000000000000000')).status).toBe(404);
    expect(await Promise.all([sender.stop(), recipient.stop()])).toEqual([0, 0]);
    logs = sender.output() + recipient.output();
    await database.drop();
  });

  it('writes one JSON line per request with its request id and what identifies it safely', () => {
    const lines = logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { req?: { id: string; url: string }; transactionId?: string; certificateSerial?: string; keyFingerprint?: string });
    const post = lines.find((line) => line.req?.id === 'e2e-post-request');
    expect(post).toMatchObject({ transactionId });
    const fetch = lines.find((line) => line.req?.id === '4bf92f3577b34da6a3ce929d0e0e4736');
    const leaf = new X509Certificate(pki.clients['P-384'].certificate.der);
    expect(fetch).toMatchObject({ req: { url: `/key-capsules/${transactionId}` }, certificateSerial: leaf.serialNumber.toLowerCase() });
    expect(fetch?.keyFingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('contains no capsule field, recipient key, client certificate or subject name', () => {
    const leaf = pki.clients['P-384'];
    const pemBody = leaf.certificate.pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const spki = new X509Certificate(leaf.certificate.der).publicKey.export({ type: 'spki', format: 'der' });
    const commonName = leaf.certificate.x509.subjectName.getField('CN')[0];
    expect(commonName).toBeTruthy();
    const secrets = [
      stored.recipient_id,
      stored.ephemeral_key_material,
      Buffer.from(stored.recipient_id, 'base64').toString('hex'),
      Buffer.from(stored.ephemeral_key_material, 'base64').toString('hex'),
      spki.toString('base64'),
      spki.toString('hex'),
      pemBody,
      pemBody.slice(0, 64),
      commonName,
    ];
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toContain('BEGIN CERTIFICATE');
  });
});

describe('shutdown', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestSqliteDatabase();
  });

  afterAll(() => database.drop());

  it('finishes a POST in flight on SIGTERM, stores it, refuses new connections and exits 0', async () => {
    const env = await environment(database, { CCS_SHUTDOWN_GRACE: 'PT60S' });
    const [sender, recipient] = await Promise.all([startService('sender', env), startService('recipient', env)]);
    const stored = capsule();
    const body = Buffer.from(JSON.stringify(stored));
    const socket = tlsConnect({ port: sender.port, host: '127.0.0.1', servername: 'localhost', ca });
    await once(socket, 'secureConnect');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const received = (text: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (text.test(answer) ? resolve() : undefined);
        socket.on('data', check);
        socket.once('close', () => (text.test(answer) ? resolve() : reject(new Error(`connection closed after: ${answer}`))));
        check();
      });
    socket.write(
      `POST /key-capsules HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
        `Expect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    await received(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    socket.write(body.subarray(0, body.length >> 1));

    const exited = sender.stop();
    await until(async () => (await management(sender, '/health/ready', null).catch(() => ({ status: 0 }))).status === 503);
    await until(() => refusesConnections(sender.port));

    const closed = once(socket, 'close');
    socket.write(body.subarray(body.length >> 1));
    await closed;
    expect(answer).toMatch(/HTTP\/1\.1 201 Created\r\n/);
    const location = /\r\nLocation: (\/key-capsules\/KC[0-9a-f]{32})\r\n/i.exec(answer)?.[1];
    expect(location).toBeDefined();
    expect(await exited).toBe(0);

    const fetched = await get(recipient, String(location).replace('/key-capsules/', ''));
    expect(fetched.status).toBe(200);
    expect(JSON.parse(fetched.body)).toEqual(stored);
    expect(await recipient.stop()).toBe(0);
  });
});

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 50));
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(false);
    }).on('error', () => resolve(true));
  });
}

describe('npm run config:check', () => {
  const check = (env: Record<string, string>, ...services: string[]) => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CCS_')));
    return spawnSync('npm', ['run', '-s', 'config:check', '--', ...services], { cwd: join(__dirname, '../../..'), env: { ...inherited, ...env }, encoding: 'utf8' });
  };

  it('prints OK for a valid environment and exits 0', () => {
    const files = join(dir, 'pki');
    const result = check({ CCS_TLS_CERT_FILE: join(files, 'server.crt'), CCS_TLS_KEY_FILE: join(files, 'server.key'), CCS_CLIENT_CA_FILE: join(files, 'client-ca-bundle.crt') });
    expect(result.stdout).toBe('sender: OK\nrecipient: OK\n');
    expect(result.status).toBe(0);
  });

  it('names each bad variable and its rule, never its value, and exits non-zero', () => {
    const files = join(dir, 'pki');
    const result = check(
      { CCS_TLS_CERT_FILE: join(files, 'server.crt'), CCS_TLS_KEY_FILE: join(files, 'server.key'), CCS_SENDER_MANAGEMENT_PORT: '99999', CCS_MANAGEMENT_TOKEN: 'short secret' },
      'sender',
    );
    expect(result.stdout).toContain('CCS_SENDER_MANAGEMENT_PORT must be a whole number from 1 to 65535');
    expect(result.stdout).toContain('CCS_MANAGEMENT_TOKEN must be at least 16 printable characters');
    expect(result.stdout).not.toContain('short secret');
    expect(result.stdout).not.toContain('recipient');
    expect(result.status).toBe(78);
  });
});
