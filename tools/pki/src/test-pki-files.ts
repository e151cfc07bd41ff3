import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, certificateChainPem, type IssuedCertificate, type LeafCertificate } from './issue-certificate';
import { isKeyAlgorithm, KEY_ALGORITHMS, keyAlgorithmOfKeyObject, webCryptoKeyParams, type KeyAlgorithm } from './key-algorithm';
import type { TestPki } from './test-pki';
import { webcrypto, x509, type CryptoKeyPair } from './x509-provider';

export const TEST_PKI_MANIFEST = 'pki.json';
const MANIFEST_FORMAT = 'ccs-test-pki/1';

export interface CertificateAndKeyFiles {
  readonly certificate: string;
  readonly key: string;
}

/** Where each part of a written test PKI lives: file names in pki.json, absolute paths from the functions. */
export interface TestPkiFiles<A extends KeyAlgorithm = KeyAlgorithm> {
  readonly rootCa: CertificateAndKeyFiles;
  readonly issuingCa: CertificateAndKeyFiles;
  /** The CAs a recipient service trusts for client certificates: the issuing CA alone. */
  readonly clientCaBundle: string;
  /** `certificate` holds the server certificate followed by the issuing CA. */
  readonly server: CertificateAndKeyFiles;
  readonly clients: Readonly<Record<A, CertificateAndKeyFiles>>;
}

interface Manifest extends TestPkiFiles<KeyAlgorithm> {
  readonly format: typeof MANIFEST_FORMAT;
}

export class TestPkiExistsError extends Error {
  constructor(readonly existing: readonly string[]) {
    super(`Refusing to overwrite an existing test PKI: ${existing[0]}${existing.length > 1 ? ` and ${existing.length - 1} more files` : ''}`);
  }
}

export interface WriteTestPkiOptions {
  /** Replace files that already exist. Default: false, and an existing file is a TestPkiExistsError. */
  readonly overwrite?: boolean;
}

/** Files of any test PKI (whatever its client keys) that already exist in dir. */
export function existingTestPkiFiles(dir: string): string[] {
  const names = [
    TEST_PKI_MANIFEST,
    'client-ca-bundle.crt',
    ...['root-ca', 'issuing-ca', 'server', ...KEY_ALGORITHMS.map(clientFileStem)].flatMap((stem) => Object.values(pairNames(stem))),
  ];
  return names.map((name) => join(dir, name)).filter((path) => existsSync(path));
}

export function clientFileStem(algorithm: KeyAlgorithm): string {
  return `client-${algorithm.toLowerCase()}`;
}

/** Writes PEM files with stable names plus a pki.json manifest; private keys are readable by the owner only. */
export function writeTestPki<A extends KeyAlgorithm>(
  pki: TestPki<A>,
  dir: string,
  options: WriteTestPkiOptions = {},
): TestPkiFiles<A> & { readonly manifest: string } {
  const clientAlgorithms = Object.keys(pki.clients).filter(isKeyAlgorithm) as A[];
  const manifest = {
    format: MANIFEST_FORMAT,
    rootCa: pairNames('root-ca'),
    issuingCa: pairNames('issuing-ca'),
    clientCaBundle: 'client-ca-bundle.crt',
    server: pairNames('server'),
    clients: Object.fromEntries(clientAlgorithms.map((a) => [a, pairNames(clientFileStem(a))])) as Record<A, CertificateAndKeyFiles>,
  };
  const contents: [string, string, 'public' | 'secret'][] = [
    ...pairContents(manifest.rootCa, pki.rootCa.certificate.pem, pki.rootCa),
    ...pairContents(manifest.issuingCa, pki.issuingCa.certificate.pem, pki.issuingCa),
    [manifest.clientCaBundle, pki.issuingCa.certificate.pem, 'public'],
    ...pairContents(manifest.server, certificateChainPem(pki.server), pki.server),
    ...clientAlgorithms.flatMap((a) => pairContents(manifest.clients[a], pki.clients[a].certificate.pem, pki.clients[a])),
    [TEST_PKI_MANIFEST, JSON.stringify(manifest, null, 2) + '\n', 'public'],
  ];

  const existing = existingTestPkiFiles(dir);
  if (existing.length && !options.overwrite) {
    throw new TestPkiExistsError(existing);
  }
  // Removing the whole previous set keeps no stale client keys from an older CA next to the new files.
  existing.forEach((path) => rmSync(path, { force: true }));
  mkdirSync(dir, { recursive: true });
  // The manifest goes last, so a present manifest means a complete set of files.
  for (const [name, text, visibility] of contents) {
    writeFileSync(join(dir, name), text, { mode: visibility === 'secret' ? 0o600 : 0o644, flag: 'wx' });
  }
  return { ...resolvePaths(dir, manifest), manifest: join(dir, TEST_PKI_MANIFEST) };
}

/**
 * The file paths of a test PKI written by writeTestPki. Fails unless every requested client key
 * (default: all of KEY_ALGORITHMS) is present.
 */
export function readTestPki<const A extends KeyAlgorithm = KeyAlgorithm>(dir: string, clientKeys?: readonly A[]): TestPkiFiles<A> {
  const manifest = readManifest(dir);
  const wanted = clientKeys ?? (KEY_ALGORITHMS as readonly KeyAlgorithm[] as readonly A[]);
  const missing = wanted.filter((a) => !manifest.clients[a]);
  if (missing.length) {
    throw new Error(`Test PKI in ${dir} has no client certificate for ${missing.join(', ')}`);
  }
  const clients = Object.fromEntries(wanted.map((a) => [a, manifest.clients[a]])) as Record<A, CertificateAndKeyFiles>;
  return resolvePaths(dir, { ...manifest, clients });
}

/** Reads a written test PKI back into certificates and usable keys, e.g. to issue or revoke more certificates. */
export async function loadTestPki<const A extends KeyAlgorithm = KeyAlgorithm>(dir: string, clientKeys?: readonly A[]): Promise<TestPki<A>> {
  const files = readTestPki(dir, clientKeys);
  const rootCa = assemble('ca', ...(await readCertificateAndKeys(files.rootCa)), null);
  const issuingCa = assemble('ca', ...(await readCertificateAndKeys(files.issuingCa)), rootCa);
  const server = assemble('leaf', ...(await readCertificateAndKeys(files.server)), issuingCa);
  const algorithms = Object.keys(files.clients) as A[];
  const clients = await Promise.all(
    algorithms.map(async (a) => assemble('leaf', ...(await readCertificateAndKeys(files.clients[a])), issuingCa)),
  );
  return {
    rootCa,
    issuingCa,
    server,
    clients: Object.fromEntries(algorithms.map((a, i) => [a, clients[i]])) as Record<A, LeafCertificate>,
  };
}

function pairNames(stem: string): CertificateAndKeyFiles {
  return { certificate: `${stem}.crt`, key: `${stem}.key` };
}

function pairContents(
  names: CertificateAndKeyFiles,
  certificatePem: string,
  issued: IssuedCertificate,
): [string, string, 'public' | 'secret'][] {
  return [
    [names.certificate, certificatePem, 'public'],
    [names.key, issued.privateKey.pem, 'secret'],
  ];
}

function resolvePaths<A extends KeyAlgorithm>(dir: string, names: TestPkiFiles<A>): TestPkiFiles<A> {
  const pair = (p: CertificateAndKeyFiles) => ({ certificate: join(dir, p.certificate), key: join(dir, p.key) });
  const entries = Object.entries(names.clients) as [A, CertificateAndKeyFiles][];
  return {
    rootCa: pair(names.rootCa),
    issuingCa: pair(names.issuingCa),
    clientCaBundle: join(dir, names.clientCaBundle),
    server: pair(names.server),
    clients: Object.fromEntries(entries.map(([a, p]) => [a, pair(p)])) as Record<A, CertificateAndKeyFiles>,
  };
}

function readManifest(dir: string): Manifest {
  const path = join(dir, TEST_PKI_MANIFEST);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
  if (manifest.format !== MANIFEST_FORMAT || !manifest.rootCa || !manifest.issuingCa || !manifest.server || !manifest.clients) {
    throw new Error(`${path} is not a test PKI manifest (${MANIFEST_FORMAT})`);
  }
  return manifest as Manifest;
}

async function readCertificateAndKeys(files: CertificateAndKeyFiles): Promise<[x509.X509Certificate, CryptoKeyPair]> {
  const der = Buffer.from(x509.PemConverter.decodeFirst(readFileSync(files.certificate, 'utf8')));
  const publicKey = new X509Certificate(der).publicKey;
  const privateKey = createPrivateKey(readFileSync(files.key));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  if (!createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).equals(spki)) {
    throw new Error(`${files.key} is not the key of ${files.certificate}`);
  }
  const params = webCryptoKeyParams(keyAlgorithmOfKeyObject(publicKey));
  const keys: CryptoKeyPair = {
    publicKey: await webcrypto.subtle.importKey('spki', spki, params, true, ['verify']),
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), params, true, ['sign']),
  };
  return [new x509.X509Certificate(der), keys];
}
