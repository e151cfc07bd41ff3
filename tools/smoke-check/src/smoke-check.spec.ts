import { createRootCa, generateTestPki, issueClientCertificate, writeTestPki, type TestPki, type TestPkiFiles } from '@ccs/test-pki';
import { freePort, RunningService, startService } from '@ccs/test-support';
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { runSmokeCheckCli } from './smoke-check-cli';

const WORKSPACE = join(__dirname, '../../..');

function pinOf(pem: string): string {
  return createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}

let dir: string;
let pki: TestPki<'P-384' | 'RSA-2048'>;
let files: TestPkiFiles<'P-384' | 'RSA-2048'>;
let sender: RunningService;
let recipient: RunningService;
let strangerCa: string;
let stranger: { cert: string; key: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-smoke-check-'));
  pki = await generateTestPki({ clientKeys: ['P-384', 'RSA-2048'] });
  files = writeTestPki(pki, join(dir, 'pki'));
  const otherRoot = await createRootCa({ commonName: 'Not The Server CA' });
  const otherClient = await issueClientCertificate(otherRoot, 'P-384');
  strangerCa = join(dir, 'other-ca.crt');
  writeFileSync(strangerCa, otherRoot.certificate.pem);
  stranger = { cert: join(dir, 'stranger.crt'), key: join(dir, 'stranger.key') };
  writeFileSync(stranger.cert, otherClient.certificate.pem);
  writeFileSync(stranger.key, otherClient.privateKey.pem);

  const [senderPort, recipientPort, senderManagement, recipientManagement] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env = {
    CCS_DATABASE_URL: `sqlite:${join(dir, 'ccs.sqlite')}`,
    CCS_SENDER_PORT: String(senderPort),
    CCS_RECIPIENT_PORT: String(recipientPort),
    CCS_SENDER_MANAGEMENT_PORT: String(senderManagement),
    CCS_RECIPIENT_MANAGEMENT_PORT: String(recipientManagement),
    CCS_TLS_CERT_FILE: files.server.certificate,
    CCS_TLS_KEY_FILE: files.server.key,
    CCS_CLIENT_CA_FILE: files.clientCaBundle,
    CCS_LOG_LEVEL: 'warn',
    // The test PKI has no OCSP responder; revocation has tests of its own.
    CCS_REVOCATION_MODE: 'none',
  };
  [sender, recipient] = await Promise.all([startService('sender', env), startService('recipient', env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([sender?.stop(), recipient?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const clientFiles = (algorithm: 'P-384' | 'RSA-2048') => ({ cert: files.clients[algorithm].certificate, key: files.clients[algorithm].key });

async function smokeCheck(options: { pin: string[]; client?: { cert: string; key: string }; sender?: string; recipient?: string }) {
  const client = options.client ?? clientFiles('P-384');
  const argv = [
    '--sender',
    options.sender ?? sender.url,
    '--recipient',
    options.recipient ?? recipient.url,
    ...options.pin.flatMap((pin) => ['--pin', pin]),
    '--cert',
    client.cert,
    '--key',
    client.key,
  ];
  let stdout = '';
  let stderr = '';
  const code = await runSmokeCheckCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const OK = /^OK: (ecc_secp384r1|rsa) capsule KC[0-9a-f]{32} stored at https:\/\/localhost:\d+ and fetched back byte for byte from https:\/\/localhost:\d+\n$/;

describe('smoke check against the running services', () => {
  it('passes with the root CA as pin file and an EC client key', async () => {
    const result = await smokeCheck({ pin: [files.rootCa.certificate], client: clientFiles('P-384') });
    expect(result).toEqual({ code: 0, stdout: expect.stringMatching(OK), stderr: '' });
    expect(result.stdout).toContain('ecc_secp384r1');
  });

  it('passes with the SHA-256 SPKI pin of the server certificate and an RSA client key', async () => {
    const result = await smokeCheck({ pin: [pinOf(pki.server.certificate.pem)], client: clientFiles('RSA-2048') });
    expect(result).toEqual({ code: 0, stdout: expect.stringMatching(OK), stderr: '' });
    expect(result.stdout).toContain(' rsa capsule ');
  });

  it('passes with the server certificate file itself as pin', async () => {
    expect((await smokeCheck({ pin: [files.server.certificate] })).code).toBe(0);
  });

  it('fails on a pin the server does not match', async () => {
    const wrongPin = pinOf(pki.clients['P-384'].certificate.pem);
    const result = await smokeCheck({ pin: [wrongPin] });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `FAIL: pin mismatch: localhost presented key ${pinOf(pki.server.certificate.pem)}, which is not pinned by ${wrongPin}\n`,
    );
  });

  it('fails when the pinned CA did not issue the server certificate', async () => {
    const result = await smokeCheck({ pin: [strangerCa] });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL: pin mismatch: localhost presented key /);
  });

  it('fails when the server certificate does not name the host in the URL', async () => {
    const result = await smokeCheck({ pin: [files.rootCa.certificate], sender: sender.url.replace('localhost', '127.0.0.2') });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('FAIL: the certificate of 127.0.0.2 does not name 127.0.0.2\n');
  });

  it('fails when the recipient service does not accept the client certificate', async () => {
    const result = await smokeCheck({ pin: [files.rootCa.certificate], client: stranger });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL: (recipient answered 40[13] for KC[0-9a-f]{32}, expected 200|localhost:\d+: .+)\n$/);
  });

  it('fails when the capsule does not come back from the recipient it was sent to', async () => {
    const result = await smokeCheck({ pin: [files.rootCa.certificate], recipient: sender.url });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL: recipient answered \d+ for KC[0-9a-f]{32}, expected 200\n$/);
  });

  it('writes nothing to a server that fails the pin check', async () => {
    let received = 0;
    const impostor = createTlsServer({ cert: readFileSync(files.server.certificate), key: pki.server.privateKey.pem }, (socket) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      });
      socket.on('error', () => undefined);
    }).listen(0, '127.0.0.1');
    await once(impostor, 'listening');
    const url = `https://localhost:${(impostor.address() as { port: number }).port}`;
    try {
      const result = await smokeCheck({ pin: [pinOf(pki.rootCa.certificate.pem)], sender: url });
      expect(result.stdout).toMatch(/^FAIL: pin mismatch: /);
      expect(received).toBe(0);
      const control = await smokeCheck({ pin: [files.rootCa.certificate], sender: url });
      expect(control).toEqual({ code: 1, stdout: 'FAIL: sender answered 503, expected 201\n', stderr: '' });
      expect(received).toBeGreaterThan(0);
    } finally {
      impostor.close();
    }
  });

  it('exits 2 with usage when options are missing', async () => {
    const result = await runSmokeCheckCli(['--sender', sender.url], { stdout: () => undefined, stderr: () => undefined });
    expect(result).toBe(2);
  });

  it.each([
    ['the server pin', () => [pinOf(pki.server.certificate.pem)], 0, OK],
    ['a wrong pin', () => [pinOf(pki.rootCa.certificate.pem)], 1, /^FAIL: pin mismatch: /],
  ])('as a command, exits with its verdict for %s', async (_label, pins, exitCode, verdict) => {
    const argv = [
      ...['--tsconfig', join(WORKSPACE, 'tsconfig.base.json')],
      join(WORKSPACE, 'tools/smoke-check/src/cli.ts'),
      ...['--sender', sender.url, '--recipient', recipient.url],
      ...pins().flatMap((pin) => ['--pin', pin]),
      ...['--cert', files.clients['P-384'].certificate, '--key', files.clients['P-384'].key],
    ];
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(join(WORKSPACE, 'node_modules/.bin/tsx'), argv, { cwd: WORKSPACE }, (error, out) =>
        resolve({ code: error ? Number(error.code) : 0, stdout: out }),
      );
    });
    expect(code).toBe(exitCode);
    expect(stdout).toMatch(verdict);
    expect(stdout.split('\n')).toHaveLength(2);
  });
});
