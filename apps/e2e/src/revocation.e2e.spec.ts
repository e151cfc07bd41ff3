import {
  capsuleTypeFor,
  ephemeralKeyMaterial,
  generateTestPki,
  issueClientCertificate,
  recipientId,
  startOcspResponder,
  writeTestPki,
  type LeafCertificate,
  type OcspResponder,
  type TestPki,
} from '@ccs/test-pki';
import { createTestSqliteDatabase, freePort, RunningService, startService, TestDatabase } from '@ccs/test-support';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, ClientCredentials, Reply } from './support/https-call';

let pki: TestPki<'P-384'>;
let dir: string;
let ca: string;
let database: TestDatabase;
let responder: OcspResponder;
let sender: RunningService;
let baseEnv: Record<string, string>;

const credentials = (leaf: LeafCertificate): ClientCredentials => ({ cert: leaf.certificate.pem, key: leaf.privateKey.pem });
const serialOf = (leaf: LeafCertificate) => new X509Certificate(leaf.certificate.der).serialNumber;
const PROBLEM = 'application/problem+json; charset=utf-8';

async function unusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/ocsp`;
}

async function store(leaf: LeafCertificate): Promise<{ id: string; body: Record<string, string> }> {
  const body = {
    recipient_id: recipientId(leaf).toString('base64'),
    ephemeral_key_material: ephemeralKeyMaterial('P-384').toString('base64'),
    capsule_type: capsuleTypeFor('P-384'),
  };
  const reply = await call(`${sender.url}/key-capsules`, {
    method: 'POST',
    ca,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
  expect(reply.status).toBe(201);
  return { id: String(reply.headers.location).replace('/key-capsules/', ''), body };
}

const fetchAs = (recipient: RunningService, id: string, leaf: LeafCertificate): Promise<Reply> =>
  call(`${recipient.url}/key-capsules/${id}`, { ca, client: credentials(leaf) });

async function startRecipient(env: Record<string, string>): Promise<RunningService> {
  return startService('recipient', { ...baseEnv, CCS_RECIPIENT_PORT: String(await freePort()), ...env });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-e2e-revocation-'));
  pki = await generateTestPki({ clientKeys: ['P-384'] });
  const files = writeTestPki(pki, join(dir, 'pki'));
  ca = pki.rootCa.certificate.pem;
  responder = await startOcspResponder({ ca: pki.issuingCa });
  database = await createTestSqliteDatabase();
  baseEnv = {
    CCS_DATABASE_URL: database.url,
    CCS_SENDER_PORT: String(await freePort()),
    CCS_TLS_CERT_FILE: files.server.certificate,
    CCS_TLS_KEY_FILE: files.server.key,
    CCS_CLIENT_CA_FILE: files.clientCaBundle,
    CCS_LOG_LEVEL: 'warn',
  };
  sender = await startService('sender', baseEnv);
}, 120_000);

afterAll(async () => {
  await sender?.stop();
  await responder?.close();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('revocation mode ocsp (the default)', () => {
  let recipient: RunningService;

  beforeAll(async () => {
    recipient = await startRecipient({ CCS_OCSP_CACHE_MAX: 'PT0S' });
  });

  afterAll(async () => {
    expect(await recipient.stop()).toBe(0);
  });

  it('serves the capsule to a certificate its CA calls good', async () => {
    const leaf = await issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: responder.url });
    const { id, body } = await store(leaf);
    const reply = await fetchAs(recipient, id, leaf);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual(body);
  });

  it('answers a revoked certificate and an unknown one as untrusted, with the certificate serial in the log', async () => {
    const [revoked, unknown] = await Promise.all([
      issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: responder.url }),
      issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: responder.url }),
    ]);
    responder.setStatus(serialOf(revoked), 'revoked');
    responder.setStatus(serialOf(unknown), 'unknown');
    for (const leaf of [revoked, unknown]) {
      const { id, body } = await store(leaf);
      const reply = await fetchAs(recipient, id, leaf);
      expect(reply.status).toBe(401);
      expect(reply.headers['content-type']).toBe(PROBLEM);
      expect(reply.body).not.toContain(body.ephemeral_key_material);
      await recipient.waitForOutput(serialOf(leaf).toLowerCase());
    }
    expect(recipient.output()).not.toContain('TEST,CCS');
  });

  it('answers 503 with nothing about the capsule when the responder cannot be reached', async () => {
    const leaf = await issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: await unusedUrl() });
    const { id, body } = await store(leaf);
    const reply = await fetchAs(recipient, id, leaf);
    expect(reply.status).toBe(503);
    expect(reply.headers['content-type']).toBe(PROBLEM);
    expect(reply.body).not.toContain(body.ephemeral_key_material);
    expect(reply.body).not.toContain(body.recipient_id);
  });

  it('answers 503 for a certificate that names no responder when no override is configured', async () => {
    const { id } = await store(pki.clients['P-384']);
    expect((await fetchAs(recipient, id, pki.clients['P-384'])).status).toBe(503);
  });

  it('counts the outcomes of the checks in its metrics', async () => {
    const metrics = await (await fetch(`${recipient.managementUrl}/metrics`)).text();
    const count = (outcome: string) =>
      Number(new RegExp(`^ccs_client_certificate_check_duration_seconds_count\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('authenticated')).toBeGreaterThanOrEqual(1);
    expect(count('revoked')).toBeGreaterThanOrEqual(2);
    expect(count('indeterminate')).toBeGreaterThanOrEqual(2);
  });

  it('serves a stored capsule until its recipient certificate is revoked, and not after', async () => {
    const leaf = await issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: responder.url });
    const { id } = await store(leaf);
    expect((await fetchAs(recipient, id, leaf)).status).toBe(200);
    responder.setStatus(serialOf(leaf), 'revoked');
    expect((await fetchAs(recipient, id, leaf)).status).toBe(401);
  });
});

describe('revocation responder per issuer from configuration', () => {
  it('asks the configured responder for a certificate without AIA', async () => {
    const recipient = await startRecipient({ CCS_OCSP_RESPONDER_OVERRIDES: `*=${responder.url}` });
    try {
      const { id } = await store(pki.clients['P-384']);
      expect((await fetchAs(recipient, id, pki.clients['P-384'])).status).toBe(200);
    } finally {
      expect(await recipient.stop()).toBe(0);
    }
  });
});

describe('revocation mode none', () => {
  it('serves a revoked certificate and warns at start that it does', async () => {
    const recipient = await startRecipient({ CCS_REVOCATION_MODE: 'none' });
    try {
      const leaf = await issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: responder.url });
      responder.setStatus(serialOf(leaf), 'revoked');
      const { id } = await store(leaf);
      expect((await fetchAs(recipient, id, leaf)).status).toBe(200);
      await recipient.waitForOutput('CCS_REVOCATION_MODE=none');
    } finally {
      expect(await recipient.stop()).toBe(0);
    }
  });
});
