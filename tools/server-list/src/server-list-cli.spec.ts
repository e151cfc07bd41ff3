import { certificateChainPem, createRootCa, issueCa, issueServerCertificate, type LeafCertificate } from '@ccs/test-pki';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerListCli } from './server-list-cli';

let dir: string;
let current: LeafCertificate;
let next: LeafCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-server-list-'));
  const root = await createRootCa({ commonName: 'Server List Test Root' });
  const ca = await issueCa(root, { commonName: 'Server List Test CA' });
  [current, next] = await Promise.all([
    issueServerCertificate(ca, ['ccs.example.org']),
    issueServerCertificate(ca, ['ccs.example.org', 'ccs-next.example.org']),
  ]);
  writeFileSync(join(dir, 'current.crt'), certificateChainPem(current));
  writeFileSync(join(dir, 'next.crt'), next.certificate.pem);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SERVER_ID = '0f8e6a52-3c1b-4d7e-9a2f-6b5c4d3e2f10';

function args(overrides: Record<string, string | string[]> = {}): string[] {
  const values: Record<string, string | string[]> = {
    id: SERVER_ID,
    name: 'Example CCS',
    organisation: 'EE70000000',
    'capsule-type': 'ecc_secp384r1',
    'sender-url': 'https://ccs.example.org:8443',
    'recipient-url': 'https://ccs.example.org:8444',
    cert: [join(dir, 'current.crt'), join(dir, 'next.crt')],
    ...overrides,
  };
  return Object.entries(values).flatMap(([name, value]) => [value].flat().flatMap((v) => [`--${name}`, v]));
}

function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runServerListCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const pinOf = (leaf: LeafCertificate) => createHash('sha256').update(Buffer.from(leaf.certificate.x509.publicKey.rawData)).digest('base64');

/** Key/value pairs as java.util.Properties reads them (enough for the lines this tool writes). */
function readProperties(text: string): Record<string, string> {
  const pairs = text
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s*[#!]/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1).replace(/\\(.)/g, '$1')];
    });
  return Object.fromEntries(pairs);
}

describe('server-list command line', () => {
  it('writes the DigiDoc4 CDOC2-CONF fragment, the Java client properties and the JSON entry', () => {
    const out = join(dir, 'out');
    const result = run([...args(), '--out', out]);
    expect(result).toEqual({
      code: 0,
      stdout: ['cdoc2-conf.json', 'cdoc2-client.properties', 'server-list.json'].map((name) => `${join(out, name)}\n`).join(''),
      stderr: '',
    });

    expect(JSON.parse(readFileSync(join(out, 'cdoc2-conf.json'), 'utf8'))).toEqual({
      [SERVER_ID]: { NAME: 'Example CCS', POST: 'https://ccs.example.org:8443', FETCH: 'https://ccs.example.org:8444' },
    });

    const properties = readFileSync(join(out, 'cdoc2-client.properties'), 'utf8');
    expect(readProperties(properties)).toEqual({
      'cdoc2.client.server.id': SERVER_ID,
      'cdoc2.client.server.base-url.post': 'https://ccs.example.org:8443',
      'cdoc2.client.server.base-url.get': 'https://ccs.example.org:8444',
    });
    expect(properties).toMatch(/^# cdoc2\.client\.ssl\.trust-store=/m);
    expect(properties).toContain(`-alias ccs-server-2 -file ${join(dir, 'next.crt')}\n`);
    for (const leaf of [current, next]) expect(properties).toContain(`#   ${pinOf(leaf)}  `);

    const document = JSON.parse(readFileSync(join(out, 'server-list.json'), 'utf8'));
    expect(document).toEqual({
      server_id: SERVER_ID,
      name: 'Example CCS',
      organisation_id: 'EE70000000',
      capsule_type: 'KeyServerCapsule',
      capsule_types: ['ecc_secp384r1'],
      sender_url: 'https://ccs.example.org:8443',
      recipient_url: 'https://ccs.example.org:8444',
      certificates: [current, next].map((leaf) =>
        expect.objectContaining({ spki_sha256: pinOf(leaf), sha256_fingerprint: new X509Certificate(leaf.certificate.der).fingerprint256 }),
      ),
    });
    expect(document.certificates.map((c: { pem: string }) => new X509Certificate(c.pem).raw)).toEqual([
      current.certificate.der,
      next.certificate.der,
    ]);
  });

  it.each([
    ['cdoc2-conf', /^\{\n {2}"0f8e6a52-/],
    ['properties', /^cdoc2\.client\.server\.id=0f8e6a52-/m],
    ['json', /^\{\n {2}"server_id": "0f8e6a52-/],
  ])('prints the %s format alone to stdout', (format, pattern) => {
    const result = run([...args(), '--format', format]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(pattern);
    expect(result.stderr).toBe('');
  });

  it('exits 1 and names the file it cannot read', () => {
    const missing = join(dir, 'missing.crt');
    const result = run([...args({ cert: missing }), '--format', 'json']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `cannot build the server list entry:\n  ${missing}: cannot be read (ENOENT)\n` });
  });

  it('exits 1 on invalid settings and writes nothing', () => {
    const out = join(dir, 'not-written');
    const result = run([...args({ 'sender-url': 'http://ccs.example.org:8443' }), '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sender URL must use https');
    expect(() => readFileSync(join(out, 'cdoc2-conf.json'))).toThrow();
  });

  it('exits 2 with usage on missing options, unknown options and an unknown format', () => {
    expect(run(['--id', SERVER_ID, '--format', 'json'])).toEqual({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^missing --name, --organisation, --capsule-type, --sender-url, --recipient-url, --cert\n\nUsage:/),
    });
    expect(run([...args(), '--bogus']).code).toBe(2);
    expect(run([...args(), '--format', 'yaml']).stderr).toMatch(/^--format must be one of cdoc2-conf, properties, json/);
    expect(run(args()).stderr).toMatch(/^give exactly one of --out and --format/);
  });
});
