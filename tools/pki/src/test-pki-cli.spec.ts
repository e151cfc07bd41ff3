import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTestPkiCli } from './test-pki-cli';

async function run(...args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = await runTestPkiCli(args, { log: (m) => stdout.push(m), error: (m) => stderr.push(m) });
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('test PKI command line', () => {
  let dir: string;

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'ccs-test-pki-cli-')), 'pki');
  });

  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('runs as a script: creates the folder, writes the PKI and prints every path it wrote', () => {
    const result = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), join(__dirname, 'cli.ts'), '--out', dir, '--hosts', 'ccs.example.test,10.0.0.5', '--clients', 'p-256'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = result.stdout.trim().split('\n');
    expect(printed.sort()).toEqual(readdirSync(dir).map((name) => join(dir, name)).sort());
    expect(printed).toContain(join(dir, 'client-p-256.key'));
    const server = new X509Certificate(readFileSync(join(dir, 'server.crt')));
    expect(server.subjectAltName).toBe('DNS:localhost, DNS:ccs.example.test, IP Address:127.0.0.1, IP Address:10.0.0.5');
  }, 60_000);

  it('refuses to overwrite an existing PKI without --force and replaces it with --force', async () => {
    expect((await run('--out', dir, '--clients', 'p-256,rsa-2048')).status).toBe(0);
    const before = readFileSync(join(dir, 'issuing-ca.crt'), 'utf8');

    const refused = await run('--out', dir, '--clients', 'p-256');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('Refusing to overwrite an existing test PKI');
    expect(readFileSync(join(dir, 'issuing-ca.crt'), 'utf8')).toBe(before);

    const forced = await run('--out', dir, '--clients', 'P-384', '--force');
    expect(forced.status).toBe(0);
    expect(readFileSync(join(dir, 'issuing-ca.crt'), 'utf8')).not.toBe(before);
    expect(readdirSync(dir)).toContain('client-p-384.crt');
    expect(readdirSync(dir)).not.toContain('client-p-256.crt');
    expect(readdirSync(dir)).not.toContain('client-rsa-2048.key');
  });

  it('explains its usage when an option is wrong', async () => {
    const missingOut = await run();
    expect(missingOut.status).toBe(1);
    expect(missingOut.stderr).toContain('--out is required');
    expect(missingOut.stderr).toContain('Usage:');

    const unknownOption = await run('--out', dir, '--bogus');
    expect(unknownOption.status).toBe(1);
    expect(unknownOption.stderr).toContain("Unknown option '--bogus'");

    const badClient = await run('--out', dir, '--clients', 'ed25519');
    expect(badClient.status).toBe(1);
    expect(badClient.stderr).toContain('Unknown client key type: ed25519');
    expect(() => readdirSync(dir)).toThrow();
  });
});
