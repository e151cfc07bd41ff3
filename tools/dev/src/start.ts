/**
 * `npm start`: builds the two services, creates a development PKI under data/ when none is
 * configured, runs both services on SQLite and prints how to try them.
 */
import { serviceNodeOptions } from '@ccs/platform';
import { capsuleTypeFor, ephemeralKeyMaterial, generateTestPki, readTestPki, recipientId, TEST_PKI_MANIFEST, writeTestPki } from '@ccs/test-pki';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { devRevocationUrls, namesResponder, startDevResponder } from './dev-revocation';

const root = resolve(__dirname, '../../..');
const dataDir = resolve(process.env['CCS_DEV_DATA_DIR'] ?? join(root, 'data'));
const pkiDir = join(dataDir, 'pki');
const ocspPort = Number(process.env['CCS_DEV_OCSP_PORT'] ?? 8889);
const shown = (path: string) => (path.startsWith(root) ? relative(process.cwd(), path) || '.' : path);

async function developmentPki(): Promise<Record<string, string>> {
  const revocation = devRevocationUrls(ocspPort);
  const existing = existsSync(join(pkiDir, TEST_PKI_MANIFEST));
  if (!existing || !namesResponder(readTestPki(pkiDir, ['P-384']).clients['P-384'].certificate, revocation.ocspUrl)) {
    console.log(`${existing ? 'Replacing the development PKI (it names no development OCSP responder) in' : 'Creating a development PKI in'} ${shown(pkiDir)} …`);
    writeTestPki(await generateTestPki({ clientKeys: ['P-384', 'RSA-2048'], ...revocation }), pkiDir, { overwrite: true });
  }
  await startDevResponder(pkiDir, ocspPort);
  const files = readTestPki(pkiDir, ['P-384', 'RSA-2048']);
  const client = files.clients['P-384'];
  const example = join(dataDir, 'example-capsule.json');
  const algorithm = 'P-384';
  writeFileSync(
    example,
    JSON.stringify(
      {
        recipient_id: recipientId(new X509Certificate(readFileSync(client.certificate))).toString('base64'),
        ephemeral_key_material: ephemeralKeyMaterial(algorithm).toString('base64'),
        capsule_type: capsuleTypeFor(algorithm),
      },
      null,
      2,
    ),
  );
  return {
    CCS_TLS_CERT_FILE: files.server.certificate,
    CCS_TLS_KEY_FILE: files.server.key,
    CCS_CLIENT_CA_FILE: files.clientCaBundle,
    rootCa: files.rootCa.certificate,
    clientCert: client.certificate,
    clientKey: client.key,
    example,
  };
}

function waitForPort(port: number, child: ChildProcess): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`a service exited with code ${child.exitCode}`));
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolvePort();
      }).on('error', () => setTimeout(attempt, 200));
    };
    attempt();
  });
}

async function main(): Promise<void> {
  console.log('Building the services …');
  execFileSync(process.execPath, [require.resolve('nx/bin/nx'), 'run-many', '-t', 'build', '-p', 'sender', 'recipient', '--outputStyle=static'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  mkdirSync(dataDir, { recursive: true });
  const configured = process.env['CCS_TLS_CERT_FILE'] !== undefined;
  const pki = configured ? undefined : await developmentPki();
  const env: Record<string, string | undefined> = {
    CCS_LOG_PRETTY: 'true',
    ...process.env,
    CCS_DATABASE_URL: process.env['CCS_DATABASE_URL'] ?? `sqlite:${join(dataDir, 'ccs.sqlite')}`,
    ...(pki && { CCS_TLS_CERT_FILE: pki.CCS_TLS_CERT_FILE, CCS_TLS_KEY_FILE: pki.CCS_TLS_KEY_FILE, CCS_CLIENT_CA_FILE: pki.CCS_CLIENT_CA_FILE }),
    ...(pki && { CCS_OCSP_STAPLING: process.env['CCS_OCSP_STAPLING'] ?? 'true', CCS_OCSP_CACHE_MAX: process.env['CCS_OCSP_CACHE_MAX'] ?? 'PT10S' }),
  };
  const senderPort = Number(env['CCS_SENDER_PORT'] ?? 8443);
  const recipientPort = Number(env['CCS_RECIPIENT_PORT'] ?? 8444);
  const children = ['sender', 'recipient'].map((name) =>
    spawn(process.execPath, [...serviceNodeOptions(join(root, 'dist/apps', name)), join(root, 'dist/apps', name, 'main.js')], { cwd: root, env, stdio: 'inherit' }),
  );
  const stop = (signal: NodeJS.Signals) => children.forEach((child) => child.kill(signal));
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  let exited = 0;
  for (const child of children) {
    child.on('exit', (code) => {
      if (code !== 0) stop('SIGTERM');
      if (++exited === children.length) process.exit(code ?? 0);
    });
  }
  await Promise.all([waitForPort(senderPort, children[0]), waitForPort(recipientPort, children[1])]);

  const sender = `https://localhost:${senderPort}`;
  const recipient = `https://localhost:${recipientPort}`;
  console.log(`
CDOC2 capsule server is running (Ctrl-C stops both services):
  sender service     ${sender}/key-capsules                   POST, TLS 1.3
  recipient service  ${recipient}/key-capsules/{transactionId}  GET, TLS 1.3 + client certificate
  database           ${env['CCS_DATABASE_URL']}
`);
  if (!pki) return;
  console.log(`Try it: store a capsule for the development client key, then fetch it with that key's certificate:

  LOCATION=$(curl -sS --cacert ${shown(pki.rootCa)} -H 'Content-Type: application/json' --data @${shown(pki.example)} -o /dev/null -w '%header{location}' ${sender}/key-capsules); echo "$LOCATION"

  curl -sS --cacert ${shown(pki.rootCa)} --cert ${shown(pki.clientCert)} --key ${shown(pki.clientKey)} ${recipient}$LOCATION; echo

Revocation: the recipient asks the development OCSP responder (${devRevocationUrls(ocspPort).ocspUrl}).
Revoke the development client certificate, wait 10 s (CCS_OCSP_CACHE_MAX) and fetch again to get 401:

  npx tsx --tsconfig tsconfig.base.json tools/dev/src/revoke.ts p-384
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
