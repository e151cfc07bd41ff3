import {
  capsuleTypeFor,
  createRootCa,
  ephemeralKeyMaterial,
  generateTestPki,
  issueCa,
  issueClientCertificate,
  KEY_ALGORITHMS,
  KeyAlgorithm,
  recipientId,
  TestPki,
  writeTestPki,
} from '@ccs/test-pki';
import { createTestDatabase, createTestSqliteDatabase, RunningService, serviceEnvironment, startService, TestDatabase } from '@ccs/test-support';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, CallOptions, ClientCredentials, Reply } from './support/https-call';

let pki: TestPki;
let dir: string;
let ca: string;
let stranger: ClientCredentials;
const client = (algorithm: KeyAlgorithm): ClientCredentials => ({ cert: pki.clients[algorithm].certificate.pem, key: pki.clients[algorithm].privateKey.pem });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-e2e-'));
  pki = await generateTestPki();
  writeTestPki(pki, join(dir, 'pki'));
  ca = pki.rootCa.certificate.pem;
  // A CA that repeats the trusted issuing CA's name with a key of its own.
  const impostorRoot = await createRootCa({ commonName: 'Impostor Root' });
  const impostor = await issueCa(impostorRoot, { subject: pki.issuingCa.certificate.x509.subjectName, pathLength: 0 });
  const leaf = await issueClientCertificate(impostor, 'P-384');
  stranger = { cert: leaf.certificate.pem, key: leaf.privateKey.pem };
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capsuleFor(algorithm: KeyAlgorithm) {
  return {
    recipient_id: recipientId(pki.clients[algorithm]).toString('base64'),
    ephemeral_key_material: ephemeralKeyMaterial(algorithm).toString('base64'),
    capsule_type: capsuleTypeFor(algorithm),
  };
}

const PROBLEM = 'application/problem+json; charset=utf-8';

describe.each(['sqlite', 'postgres'] as const)('key capsules on %s', (dialect) => {
  let database: TestDatabase;
  let sender: RunningService;
  let recipient: RunningService;
  let env: Record<string, string>;

  const post = (body: unknown, options: Partial<CallOptions> = {}) =>
    call(`${sender.url}/key-capsules`, {
      method: 'POST',
      ca,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...options,
      headers: { 'Content-Type': 'application/json', ...options.headers },
    });
  const get = (transactionId: string, as?: ClientCredentials, options: Partial<CallOptions> = {}) =>
    call(`${recipient.url}/key-capsules/${transactionId}`, { ca, client: as, ...options });
  const idOf = (reply: Reply) => String(reply.headers.location).replace('/key-capsules/', '');

  async function start() {
    [sender, recipient] = await Promise.all([startService('sender', env), startService('recipient', env)]);
  }

  async function stop() {
    const codes = await Promise.all([sender.stop(), recipient.stop()]);
    expect(codes).toEqual([0, 0]);
  }

  beforeAll(async () => {
    database = dialect === 'sqlite' ? await createTestSqliteDatabase() : await createTestDatabase();
    env = await serviceEnvironment(join(dir, 'pki'), database.url, { CCS_PURGE_INTERVAL: 'PT1S' });
    await start();
  });

  afterAll(async () => {
    await stop();
    await database.drop();
  });

  describe('round trip', () => {
    it.each(KEY_ALGORITHMS)('stores and returns a capsule for a %s recipient', async (algorithm) => {
      const capsule = capsuleFor(algorithm);
      const created = await post(capsule);
      expect(created.status).toBe(201);
      expect(created.body).toBe('');
      expect(created.headers.location).toMatch(/^\/key-capsules\/KC[0-9a-f]{32}$/);
      expect(created.headers['x-expiry-time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(created.headers['x-expiry-time-adjusted']).toBe('false');

      const fetched = await get(idOf(created), client(algorithm));
      expect(fetched.status).toBe(200);
      expect(fetched.headers['content-type']).toMatch(/^application\/json/);
      expect(fetched.headers.etag).toBeUndefined();
      expect(fetched.body).toBe(
        `{"recipient_id":"${capsule.recipient_id}","ephemeral_key_material":"${capsule.ephemeral_key_material}","capsule_type":"${capsule.capsule_type}"}`,
      );
      expect(fetched.headers['x-expiry-time']).toBe(created.headers['x-expiry-time']);
      expect(fetched.headers['x-expiry-time-adjusted']).toBe('false');
    });

    it('accepts what libcdoc sends: escaped slashes, alphabetical keys, Connection: close, empty Accept-Encoding', async () => {
      const capsule = capsuleFor('P-384');
      const body = `{"capsule_type":"${capsule.capsule_type}","ephemeral_key_material":"${capsule.ephemeral_key_material.replace(/\//g, '\\/')}","recipient_id":"${capsule.recipient_id.replace(/\//g, '\\/')}"}`;
      const created = await post(body, { headers: { Connection: 'close', 'Accept-Encoding': '', 'x-expiry-time': new Date(Date.now() + 86_400_000).toISOString() } });
      expect(created.status).toBe(201);
      expect(JSON.parse((await get(idOf(created), client('P-384'))).body)).toEqual(capsule);
    });

    it('gives the same capsule stored twice two transaction ids', async () => {
      const capsule = capsuleFor('P-256');
      const [a, b] = [await post(capsule), await post(capsule)];
      expect(idOf(a)).not.toBe(idOf(b));
    });

    it('keeps 50 capsules posted at once apart', async () => {
      const capsules = Array.from({ length: 50 }, () => capsuleFor('P-256'));
      const replies = await Promise.all(capsules.map((capsule) => post(capsule)));
      expect(replies.map((r) => r.status)).toEqual(capsules.map(() => 201));
      const ids = replies.map(idOf);
      expect(new Set(ids).size).toBe(50);
      const fetched = await Promise.all(ids.map((id) => get(id, client('P-256'))));
      expect(fetched.map((f) => JSON.parse(f.body))).toEqual(capsules);
    });
  });

  describe('expiry', () => {
    it.each([
      ['an offset', '2030-06-01T12:00:00+03:00', '2030-06-01T09:00:00Z'],
      ['nanoseconds', '2030-06-01T12:00:00.123456789Z', '2030-06-01T12:00:00Z'],
      ['no offset (taken as UTC)', '2030-06-01T12:00:00', '2030-06-01T12:00:00Z'],
    ])('honours a requested expiry with %s', async (_form, requested, applied) => {
      const created = await post(capsuleFor('P-256'), { headers: { 'x-expiry-time': requested } });
      expect(created.status).toBe(201);
      expect(created.headers['x-expiry-time']).toBe(applied);
      expect(created.headers['x-expiry-time-adjusted']).toBe('false');
    });

    it('clamps an expiry beyond the maximum lifetime and says so', async () => {
      const created = await post(capsuleFor('P-256'), { headers: { 'x-expiry-time': '2099-01-01T00:00:00Z' } });
      expect(created.status).toBe(201);
      expect(created.headers['x-expiry-time-adjusted']).toBe('true');
      const applied = Date.parse(String(created.headers['x-expiry-time']));
      expect(Math.abs(applied - (Date.now() + 1825 * 86_400_000))).toBeLessThan(60_000);
      const fetched = await get(idOf(created), client('P-256'));
      expect(fetched.headers['x-expiry-time-adjusted']).toBe('true');
    });

    it('never serves an expired capsule', async () => {
      const expiry = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000);
      const created = await post(capsuleFor('P-521'), { headers: { 'x-expiry-time': expiry.toISOString() } });
      expect(created.status).toBe(201);
      expect((await get(idOf(created), client('P-521'))).status).toBe(200);
      await new Promise((r) => setTimeout(r, expiry.getTime() - Date.now() + 100));
      const late = await get(idOf(created), client('P-521'));
      expect(late.status).toBe(404);
      expect(late.body).toBe('');
    });
  });

  describe('refusals of the sender service', () => {
    const valid = () => capsuleFor('P-384');
    it.each([
      ['not JSON', '{"recipient_id":', /not valid JSON/],
      ['a JSON array', '[]', /JSON object/],
      ['a missing field', () => ({ ...valid(), recipient_id: undefined }), /recipient_id must be a string/],
      ['a number for a field', () => ({ ...valid(), capsule_type: 7 }), /capsule_type must be a string/],
      ['bad base64', () => ({ ...valid(), ephemeral_key_material: 'not*base64' }), /ephemeral_key_material must be base64/],
      ['an unknown capsule_type', () => ({ ...valid(), capsule_type: 'ecc_secp256k1' }), /capsule_type must be one of/],
      ['a point off the curve', () => ({ ...valid(), ephemeral_key_material: Buffer.alloc(97, 4).toString('base64') }), /ephemeral_key_material must be an uncompressed point/],
      ['a recipient_id of another curve', () => ({ ...capsuleFor('P-256'), capsule_type: 'ecc_secp384r1' }), /recipient_id/],
      ['an RSA key as SubjectPublicKeyInfo', () => ({ ...capsuleFor('RSA-2048'), recipient_id: new X509Certificate(pki.clients['RSA-2048'].certificate.der).publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }), /PKCS#1 RSAPublicKey/],
      ['a recipient_id over 2100 bytes', () => ({ ...capsuleFor('RSA-2048'), recipient_id: Buffer.alloc(2101, 1).toString('base64') }), /recipient_id must decode to 65..2100 bytes/],
    ])('answers 400 naming the problem for %s', async (_what, body, detail) => {
      const reply = await post(typeof body === 'function' ? body() : body);
      expect(reply.status).toBe(400);
      expect(reply.headers['content-type']).toBe(PROBLEM);
      expect(reply.headers.location).toBeUndefined();
      expect(JSON.parse(reply.body)).toMatchObject({ status: 400, title: 'Bad Request', detail: expect.stringMatching(detail) });
    });

    it('answers 400 to a body that is not declared as JSON', async () => {
      const reply = await post(valid(), { headers: { 'Content-Type': 'text/plain' } });
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body).detail).toBe('Content-Type must be application/json');
    });

    it.each(['2020-01-01T00:00:00Z', 'next week', '2030-02-30T00:00:00Z'])('answers 400 to x-expiry-time %j', async (expiry) => {
      const reply = await post(valid(), { headers: { 'x-expiry-time': expiry } });
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body).detail).toMatch(/^x-expiry-time must be/);
      expect(reply.headers.location).toBeUndefined();
    });

    it('answers 413 to a body over the limit', async () => {
      const reply = await post({ ...valid(), padding: 'x'.repeat(17 * 1024) });
      expect(reply.status).toBe(413);
      expect(reply.headers['content-type']).toBe(PROBLEM);
    });

    it('does not serve capsules', async () => {
      expect((await call(`${sender.url}/key-capsules/KC00000000000000000000000000000000`, { ca })).status).toBe(405);
    });
  });

  describe('refusals of the recipient service', () => {
    let transactionId: string;
    beforeAll(async () => {
      transactionId = idOf(await post(capsuleFor('P-384')));
    });

    it('answers an unknown id and someone else’s capsule alike: 404, empty', async () => {
      const unknown = await get('KC00000000000000000000000000000000', client('P-384'));
      const notYours = await get(transactionId, client('P-256'));
      const otherKeyType = await get(transactionId, client('RSA-2048'));
      for (const reply of [unknown, notYours, otherKeyType]) {
        expect(reply.status).toBe(404);
        expect(reply.body).toBe('');
      }
      expect(notYours.headers).toEqual({ ...unknown.headers, date: notYours.headers.date, 'x-request-id': notYours.headers['x-request-id'] });
    });

    it.each([['17 characters', 'K'.repeat(17)], ['35 characters', 'K'.repeat(35)]])('answers 400 with an empty body to an id of %s', async (_what, id) => {
      const reply = await get(id, client('P-384'));
      expect(reply.status).toBe(400);
      expect(reply.body).toBe('');
    });

    it('answers 401 without a client certificate', async () => {
      expect((await get(transactionId)).status).toBe(401);
    });

    it('answers 401 to a certificate from a CA that only repeats a trusted name', async () => {
      const reply = await get(transactionId, stranger);
      expect(reply.status).toBe(401);
      expect(reply.body).not.toContain('ephemeral_key_material');
    });

    it('does not store capsules', async () => {
      expect((await call(`${recipient.url}/key-capsules`, { method: 'POST', ca, client: client('P-384'), body: '{}' })).status).toBe(405);
    });
  });

  it.each(['sender', 'recipient'] as const)('refuses TLS 1.2 on the %s service', async (service) => {
    const url = `${(service === 'sender' ? sender : recipient).url}/key-capsules`;
    await expect(call(url, { ca, client: client('P-384'), maxVersion: 'TLSv1.2' })).rejects.toThrow(/protocol version|alert/i);
  });

  it('keeps capsules across a restart of both services', async () => {
    const capsule = capsuleFor('RSA-3072');
    const created = await post(capsule);
    await stop();
    await start();
    const fetched = await get(idOf(created), client('RSA-3072'));
    expect(fetched.status).toBe(200);
    expect(JSON.parse(fetched.body)).toEqual(capsule);
  });
});
