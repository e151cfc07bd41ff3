import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestPki, issueClientCertificate, type TestPki } from './test-pki';
import { existingTestPkiFiles, loadTestPki, readTestPki, TestPkiExistsError, writeTestPki } from './test-pki-files';

const CLIENT_KEYS = ['P-256', 'RSA-2048'] as const;
type ClientKey = (typeof CLIENT_KEYS)[number];

function certificatesIn(path: string): X509Certificate[] {
  const pem = readFileSync(path, 'utf8');
  return (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? []).map((block) => new X509Certificate(block));
}

describe('writeTestPki, readTestPki, loadTestPki', () => {
  let pki: TestPki<ClientKey>;
  let dir: string;

  beforeAll(async () => {
    pki = await generateTestPki({ clientKeys: CLIENT_KEYS });
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccs-test-pki-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes PEM files with stable names and returns their paths', () => {
    const files = writeTestPki(pki, dir);
    expect(readdirSync(dir).sort()).toEqual([
      'client-ca-bundle.crt',
      'client-p-256.crt',
      'client-p-256.key',
      'client-rsa-2048.crt',
      'client-rsa-2048.key',
      'issuing-ca.crt',
      'issuing-ca.key',
      'pki.json',
      'root-ca.crt',
      'root-ca.key',
      'server.crt',
      'server.key',
    ]);
    expect(files.server).toEqual({ certificate: join(dir, 'server.crt'), key: join(dir, 'server.key') });
    expect(files.clients['RSA-2048']).toEqual({ certificate: join(dir, 'client-rsa-2048.crt'), key: join(dir, 'client-rsa-2048.key') });
    expect(files.clientCaBundle).toBe(join(dir, 'client-ca-bundle.crt'));
    expect(files.manifest).toBe(join(dir, 'pki.json'));
  });

  it('lets only the owner read private keys', () => {
    const files = writeTestPki(pki, dir);
    for (const path of [files.rootCa.key, files.issuingCa.key, files.server.key, files.clients['P-256'].key, files.clients['RSA-2048'].key]) {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    }
  });

  it('writes the server chain, and the issuing CA alone as the client CA bundle', () => {
    const files = writeTestPki(pki, dir);
    const chain = certificatesIn(files.server.certificate);
    expect(chain.map((c) => c.raw)).toEqual([pki.server.certificate.der, pki.issuingCa.certificate.der]);
    expect(certificatesIn(files.clientCaBundle).map((c) => c.raw)).toEqual([pki.issuingCa.certificate.der]);
    expect(chain[0].checkPrivateKey(createPrivateKey(readFileSync(files.server.key)))).toBe(true);
    const client = new X509Certificate(readFileSync(files.clients['P-256'].certificate));
    expect(client.checkPrivateKey(createPrivateKey(readFileSync(files.clients['P-256'].key)))).toBe(true);
  });

  it('finds the files again through the manifest', () => {
    const written = writeTestPki(pki, dir);
    expect({ ...readTestPki(dir, CLIENT_KEYS), manifest: written.manifest }).toStrictEqual(written);
    expect(JSON.parse(readFileSync(written.manifest, 'utf8'))).toMatchObject({
      server: { certificate: 'server.crt', key: 'server.key' },
      clients: { 'P-256': { certificate: 'client-p-256.crt', key: 'client-p-256.key' } },
    });
  });

  it('says which client certificates are missing rather than returning paths that do not exist', () => {
    writeTestPki(pki, dir);
    expect(() => readTestPki(dir)).toThrow('no client certificate for P-384, P-521, RSA-3072, RSA-4096');
    expect(() => readTestPki(dir, ['P-521'])).toThrow('P-521');
  });

  it('rejects a folder without a test PKI manifest', () => {
    writeFileSync(join(dir, 'pki.json'), '{"something":"else"}');
    expect(() => readTestPki(dir)).toThrow('is not a test PKI manifest');
  });

  it('loads the same certificates back with keys that still sign', async () => {
    writeTestPki(pki, dir);
    const loaded = await loadTestPki(dir, CLIENT_KEYS);
    expect(loaded.rootCa.certificate.der).toEqual(pki.rootCa.certificate.der);
    expect(loaded.issuingCa.certificate.der).toEqual(pki.issuingCa.certificate.der);
    expect(loaded.server.certificate.der).toEqual(pki.server.certificate.der);
    expect(loaded.clients['RSA-2048'].certificate.der).toEqual(pki.clients['RSA-2048'].certificate.der);
    expect(loaded.clients['RSA-2048'].keyAlgorithm).toBe('RSA-2048');
    expect(loaded.server.issuer).toBe(loaded.issuingCa);
    expect(loaded.issuingCa.issuer).toBe(loaded.rootCa);

    const issuedLater = await issueClientCertificate(loaded.issuingCa, 'P-256');
    const original = new X509Certificate(pki.issuingCa.certificate.pem);
    expect(new X509Certificate(issuedLater.certificate.pem).verify(original.publicKey)).toBe(true);
  });

  it('refuses to overwrite an existing test PKI unless told to, and then leaves no stale files', async () => {
    writeTestPki(pki, dir);
    const before = readFileSync(join(dir, 'server.crt'));
    expect(() => writeTestPki(pki, dir)).toThrow(TestPkiExistsError);
    expect(readFileSync(join(dir, 'server.crt'))).toEqual(before);

    const smaller = await generateTestPki({ clientKeys: ['P-256'] });
    writeTestPki(smaller, dir, { overwrite: true });
    expect(existingTestPkiFiles(dir)).not.toContain(join(dir, 'client-rsa-2048.crt'));
    expect(readdirSync(dir)).not.toContain('client-rsa-2048.key');
    expect(readFileSync(join(dir, 'server.crt'), 'utf8')).toBe(smaller.server.certificate.pem + smaller.issuingCa.certificate.pem);
    expect(statSync(join(dir, 'server.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses a key that does not belong to its certificate', async () => {
    writeTestPki(pki, dir);
    writeFileSync(join(dir, 'server.key'), pki.clients['P-256'].privateKey.pem);
    await expect(loadTestPki(dir, CLIENT_KEYS)).rejects.toThrow('server.key is not the key of');
  });
});
