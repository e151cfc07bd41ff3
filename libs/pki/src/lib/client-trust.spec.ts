import {
  createCrl,
  createRootCa,
  generateTestPki,
  issueCa,
  issueCertificate,
  issueClientCertificate,
  startOcspResponder,
  type CertificateAuthority,
  type IssuedCertificate,
  type OcspResponder,
  type OcspResponderOptions,
  type TestPki,
} from '@ccs/test-pki';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { connect, createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientTrust } from './client-trust';
import { CrlOptions, CrlStore } from './crl-store';
import { OcspClient, OcspOptions } from './ocsp-client';
import { RevocationMode } from './revocation-status';

const node = (issued: IssuedCertificate) => new X509Certificate(issued.certificate.der);
const serialOf = (issued: IssuedCertificate) => node(issued).serialNumber;

let pki: TestPki<'P-384' | 'RSA-2048'>;
let responder: OcspResponder;
let dir: string;
const responders: OcspResponder[] = [];

async function responderFor(options: OcspResponderOptions): Promise<OcspResponder> {
  const started = await startOcspResponder(options);
  responders.push(started);
  return started;
}

async function closedPortUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}/ocsp`;
}

function ocspOptions(overrides: Partial<OcspOptions> = {}): OcspOptions {
  return {
    timeoutMs: 5000,
    maxAgeMs: 60 * 60 * 1000,
    clockSkewMs: 5 * 60 * 1000,
    nonceRequired: false,
    cacheMaxMs: 5 * 60 * 1000,
    responderOverrides: new Map(),
    ...overrides,
  };
}

function crlOptions(overrides: Partial<CrlOptions> = {}): CrlOptions {
  return { files: [], urls: [], refreshIntervalMs: 60 * 60 * 1000, timeoutMs: 5000, clockSkewMs: 5 * 60 * 1000, ...overrides };
}

interface TrustSetup {
  readonly mode?: RevocationMode;
  readonly ocsp?: Partial<OcspOptions>;
  readonly crl?: Partial<CrlOptions>;
  readonly trusted?: readonly CertificateAuthority[];
  readonly clock?: () => number;
}

function trust(setup: TrustSetup = {}): ClientTrust {
  const clock = setup.clock ?? Date.now;
  return new ClientTrust(
    (setup.trusted ?? [pki.issuingCa]).map(node),
    { mode: setup.mode ?? 'ocsp', ocsp: new OcspClient(ocspOptions(setup.ocsp), clock), crl: new CrlStore(crlOptions(setup.crl), clock) },
    clock,
  );
}

/** A P-384 client certificate of the test issuing CA whose AIA names this responder. */
const clientWithAia = (url: string, overrides: Parameters<typeof issueClientCertificate>[2] = {}) =>
  issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: url, ...overrides });

const overrideTo = (url: string) => ({ responderOverrides: new Map([['*', url]]) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-pki-'));
  pki = await generateTestPki({ clientKeys: ['P-384', 'RSA-2048'] });
  responder = await responderFor({ ca: pki.issuingCa });
}, 60_000);

afterAll(async () => {
  await Promise.all(responders.map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('certificate policy', () => {
  const check = (leaf: IssuedCertificate, setup: TrustSetup = {}) => trust({ mode: 'none', ...setup }).verifyCertificate(node(leaf));

  it('admits an ID-card-shaped authentication certificate (P-384, digitalSignature + keyAgreement, clientAuth)', async () => {
    const result = await check(pki.clients['P-384']);
    expect(result.status).toBe('authenticated');
  });

  it('admits a certificate of a trusted issuing CA whose root is not trusted', async () => {
    expect((await check(pki.clients['RSA-2048'], { trusted: [pki.issuingCa] })).status).toBe('authenticated');
  });

  it('admits a certificate through an intermediate the client presents when only the root is trusted, and not without it', async () => {
    const viaRoot = trust({ mode: 'none', trusted: [pki.rootCa] });
    expect((await viaRoot.verifyCertificate(node(pki.clients['P-384']), [node(pki.issuingCa)])).status).toBe('authenticated');
    expect((await viaRoot.verifyCertificate(node(pki.clients['P-384']))).status).toBe('untrusted');
  });

  it('reads the chain a client presents over a real TLS 1.3 connection', async () => {
    const viaRoot = trust({ mode: 'none', trusted: [pki.rootCa] });
    const statusOver = async (certificatePem: string): Promise<string> => {
      const server = createTlsServer({
        cert: pki.server.certificate.pem,
        key: pki.server.privateKey.pem,
        ca: pki.rootCa.certificate.pem,
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3',
      });
      const status = new Promise<string>((resolve) =>
        server.once('secureConnection', (socket) => void viaRoot.verifyConnection(socket).then((result) => resolve(result.status))),
      );
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const client = connect({
        port: (server.address() as AddressInfo).port,
        host: '127.0.0.1',
        rejectUnauthorized: false,
        cert: certificatePem,
        key: pki.clients['P-384'].privateKey.pem,
      });
      client.on('error', () => undefined);
      try {
        return await status;
      } finally {
        client.destroy();
        server.close();
      }
    };
    expect(await statusOver(pki.clients['P-384'].certificate.pem + pki.issuingCa.certificate.pem)).toBe('authenticated');
    expect(await statusOver(pki.clients['P-384'].certificate.pem)).toBe('untrusted');
  });

  it('refuses an expired certificate and one not yet valid', async () => {
    const expired = await issueClientCertificate(pki.issuingCa, 'P-384', {
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const future = await issueClientCertificate(pki.issuingCa, 'P-384', {
      notBefore: new Date(Date.now() + 86_400_000),
      notAfter: new Date(Date.now() + 3 * 86_400_000),
    });
    expect(await check(expired)).toEqual({ status: 'untrusted', reason: 'expired' });
    expect(await check(future)).toEqual({ status: 'untrusted', reason: 'not yet valid' });
  });

  it('checks validity at the time of the request, not of issuance', async () => {
    const leaf = pki.clients['P-384'];
    const later = Date.parse(node(leaf).validTo) + 1000;
    expect(await check(leaf, { clock: () => later })).toMatchObject({ status: 'untrusted' });
  });

  it('refuses a signing-only (nonRepudiation) certificate', async () => {
    const signing = await issueClientCertificate(pki.issuingCa, 'P-384', { keyUsages: ['nonRepudiation'], extendedKeyUsages: [] });
    expect(await check(signing)).toEqual({ status: 'untrusted', reason: 'key usage lacks digitalSignature' });
  });

  it('refuses a certificate whose extended key usage does not include clientAuth', async () => {
    const email = await issueClientCertificate(pki.issuingCa, 'P-384', { extendedKeyUsages: ['emailProtection'] });
    expect(await check(email)).toEqual({ status: 'untrusted', reason: 'extended key usage lacks clientAuth' });
  });

  it('refuses a certificate from a CA that only repeats the trusted issuing CA name', async () => {
    const impostorRoot = await createRootCa({ commonName: 'Impostor Root' });
    const impostor = await issueCa(impostorRoot, { subject: pki.issuingCa.certificate.x509.subjectName, pathLength: 0 });
    const leaf = await issueClientCertificate(impostor, 'P-384');
    expect(await check(leaf)).toEqual({ status: 'untrusted', reason: 'no path to a trusted CA' });
    expect((await trust({ mode: 'none' }).verifyCertificate(node(leaf), [node(impostor)])).status).toBe('untrusted');
  });
});

describe('remembered certificates', () => {
  it('checks the signatures of a returning client chain once, and its validity on every request', async () => {
    const leaf = pki.clients['P-384'];
    let now = Date.now();
    const viaRoot = trust({ mode: 'none', trusted: [pki.rootCa], clock: () => now });
    const verify = jest.spyOn(X509Certificate.prototype, 'verify');
    try {
      for (let i = 0; i < 3; i++) {
        // New objects each time, as every TLS connection brings: remembered by their bytes.
        expect((await viaRoot.verifyCertificate(node(leaf), [node(pki.issuingCa)])).status).toBe('authenticated');
      }
      // The leaf by the issuing CA, the issuing CA by the root: on the first request only.
      expect(verify).toHaveBeenCalledTimes(2);
    } finally {
      verify.mockRestore();
    }
    now = Date.parse(node(leaf).validTo) + 1000;
    expect(await viaRoot.verifyCertificate(node(leaf), [node(pki.issuingCa)])).toEqual({ status: 'untrusted', reason: 'expired' });
  });

  it('does not let a remembered certificate vouch for a forged one with the same names, serial number and key', async () => {
    const genuine = pki.clients['P-384'];
    const forger = await createRootCa({ commonName: 'Forger' });
    const forged = await issueClientCertificate(pki.issuingCa, 'P-384', {
      serialNumber: genuine.certificate.x509.serialNumber,
      keyPair: { privateKey: genuine.privateKey.cryptoKey, publicKey: genuine.publicKey },
      signingKey: forger.privateKey.cryptoKey,
    });
    expect(node(forged).subject).toBe(node(genuine).subject);
    const checker = trust({ mode: 'none' });
    expect((await checker.verifyCertificate(node(genuine))).status).toBe('authenticated');
    expect(await checker.verifyCertificate(node(forged))).toEqual({ status: 'untrusted', reason: 'no path to a trusted CA' });
    expect((await checker.verifyCertificate(node(genuine))).status).toBe('authenticated');
  });
});

describe('OCSP', () => {
  it('admits a certificate the AIA responder calls good', async () => {
    const leaf = await clientWithAia(responder.url);
    expect(await trust().verifyCertificate(node(leaf))).toMatchObject({ status: 'authenticated' });
  });

  it('answers revoked and unknown certificates as revoked', async () => {
    const [revoked, unknown] = await Promise.all([clientWithAia(responder.url), clientWithAia(responder.url)]);
    responder.setStatus(serialOf(revoked), 'revoked');
    responder.setStatus(serialOf(unknown), 'unknown');
    expect(await trust().verifyCertificate(node(revoked))).toMatchObject({ status: 'revoked', revocation: 'revoked' });
    expect(await trust().verifyCertificate(node(unknown))).toMatchObject({ status: 'revoked', revocation: 'unknown' });
  });

  it('is indeterminate when the responder is down', async () => {
    const leaf = await clientWithAia(await closedPortUrl());
    expect(await trust().verifyCertificate(node(leaf))).toMatchObject({ status: 'indeterminate', reason: 'OCSP responder: connection failed' });
  });

  it('is indeterminate when the responder is slower than the timeout', async () => {
    const slow = await responderFor({ ca: pki.issuingCa });
    slow.setDelay(10_000);
    const result = await trust({ ocsp: { timeoutMs: 200 } }).verifyCertificate(node(await clientWithAia(slow.url)));
    expect(result).toMatchObject({ status: 'indeterminate', reason: 'OCSP responder: timed out' });
  });

  it('is indeterminate without AIA and override, and uses an override per issuer or for all', async () => {
    const leaf = node(pki.clients['P-384']);
    expect(await trust().verifyCertificate(leaf)).toMatchObject({ status: 'indeterminate', reason: 'no OCSP responder for this certificate' });
    const fingerprint = node(pki.issuingCa).fingerprint256.replace(/:/g, '').toLowerCase();
    const perIssuer = trust({ ocsp: { responderOverrides: new Map([[fingerprint, responder.url]]) } });
    expect((await perIssuer.verifyCertificate(leaf)).status).toBe('authenticated');
    expect((await trust({ ocsp: overrideTo(responder.url) }).verifyCertificate(leaf)).status).toBe('authenticated');
  });

  it.each([
    ['bad-signature', 'OCSP response: response signature does not verify'],
    ['wrong-serial', 'OCSP response: no answer for this certificate'],
    ['stale', 'OCSP response: stale answer'],
    ['try-later', 'OCSP response: responder status 3'],
    ['garbage', 'OCSP response: malformed'],
  ] as const)('is indeterminate on a %s answer', async (fault, reason) => {
    const faulty = await responderFor({ ca: pki.issuingCa });
    faulty.setFault(fault);
    const result = await trust({ ocsp: overrideTo(faulty.url) }).verifyCertificate(node(pki.clients['P-384']));
    expect(result).toMatchObject({ status: 'indeterminate', reason });
  });

  it('accepts an answer without nonce unless a nonce is required', async () => {
    const noNonce = await responderFor({ ca: pki.issuingCa });
    noNonce.setFault('missing-nonce');
    const leaf = node(pki.clients['P-384']);
    expect((await trust({ ocsp: overrideTo(noNonce.url) }).verifyCertificate(leaf)).status).toBe('authenticated');
    const strict = trust({ ocsp: { ...overrideTo(noNonce.url), nonceRequired: true } });
    expect(await strict.verifyCertificate(leaf)).toMatchObject({ status: 'indeterminate', reason: 'OCSP response: nonce missing' });
    expect((await trust({ ocsp: { ...overrideTo(responder.url), nonceRequired: true } }).verifyCertificate(leaf)).status).toBe('authenticated');
  });

  it('accepts a delegated responder with the OCSP-signing EKU issued by the CA, and no other', async () => {
    const delegated = await issueCertificate(pki.issuingCa, { commonName: 'OCSP responder', extendedKeyUsages: ['ocspSigning'] });
    const withoutEku = await issueCertificate(pki.issuingCa, { commonName: 'OCSP responder', extendedKeyUsages: ['clientAuth'] });
    const otherCa = await issueCa(pki.rootCa, { commonName: 'Other CA' });
    const foreign = await issueCertificate(otherCa, { commonName: 'OCSP responder', extendedKeyUsages: ['ocspSigning'] });
    const leaf = node(pki.clients['P-384']);
    const via = async (signer: IssuedCertificate) => {
      const r = await responderFor({ ca: pki.issuingCa, signer });
      r.setStatus(serialOf(pki.clients['P-384']), 'revoked');
      return trust({ ocsp: overrideTo(r.url) }).verifyCertificate(leaf);
    };
    expect(await via(delegated)).toMatchObject({ status: 'revoked' });
    expect(await via(withoutEku)).toMatchObject({ status: 'indeterminate', reason: 'OCSP response: responder certificate lacks OCSP signing' });
    expect(await via(foreign)).toMatchObject({ status: 'indeterminate', reason: 'OCSP response: responder certificate not issued by the CA' });
  });

  it('checks an RSA chain', async () => {
    const rsaRoot = await createRootCa({ commonName: 'RSA Root', keyAlgorithm: 'RSA-2048' });
    const rsaCa = await issueCa(rsaRoot, { commonName: 'RSA Issuing CA', keyAlgorithm: 'RSA-2048' });
    const rsaResponder = await responderFor({ ca: rsaCa });
    const [good, revoked] = await Promise.all([
      issueClientCertificate(rsaCa, 'RSA-2048', { ocspUrl: rsaResponder.url }),
      issueClientCertificate(rsaCa, 'RSA-2048', { ocspUrl: rsaResponder.url }),
    ]);
    rsaResponder.setStatus(serialOf(revoked), 'revoked');
    const rsaTrust = trust({ trusted: [rsaCa] });
    expect((await rsaTrust.verifyCertificate(node(good))).status).toBe('authenticated');
    expect((await rsaTrust.verifyCertificate(node(revoked))).status).toBe('revoked');
  });

  it('shares one request among concurrent checks of the same certificate and reuses the answer', async () => {
    const counted = await responderFor({ ca: pki.issuingCa });
    const leaf = await clientWithAia(counted.url);
    const shared = trust();
    const results = await Promise.all([1, 2, 3].map(() => shared.verifyCertificate(node(leaf))));
    expect(results.map((r) => r.status)).toEqual(['authenticated', 'authenticated', 'authenticated']);
    await shared.verifyCertificate(node(leaf));
    expect(counted.requestCount()).toBe(1);
  });

  it('keeps a bounded number of answers, dropping the least recently used', async () => {
    const counted = await responderFor({ ca: pki.issuingCa });
    const [first, second, third] = await Promise.all([1, 2, 3].map(() => clientWithAia(counted.url)));
    const ocsp = new OcspClient(ocspOptions(), Date.now, 2);
    const bounded = new ClientTrust([node(pki.issuingCa)], { mode: 'ocsp', ocsp });
    for (const leaf of [first, second, first, third, first]) expect((await bounded.verifyCertificate(node(leaf))).status).toBe('authenticated');
    expect(counted.requestCount()).toBe(3);
    await bounded.verifyCertificate(node(second));
    expect(counted.requestCount()).toBe(4);
  });

  it('serves a capsule holder until the cached good answer expires, then refuses the revoked certificate', async () => {
    const shortLived = await responderFor({ ca: pki.issuingCa, validitySeconds: 60 });
    const leaf = await clientWithAia(shortLived.url);
    let now = Date.now();
    const checker = trust({ clock: () => now });
    expect((await checker.verifyCertificate(node(leaf))).status).toBe('authenticated');
    shortLived.setStatus(serialOf(leaf), 'revoked');
    now += 30_000;
    expect((await checker.verifyCertificate(node(leaf))).status).toBe('authenticated');
    now += 31_000;
    expect((await checker.verifyCertificate(node(leaf))).status).toBe('revoked');
  });

  it('never reuses an answer when the cache maximum is zero', async () => {
    const leaf = await clientWithAia(responder.url);
    const checker = trust({ ocsp: { cacheMaxMs: 0 } });
    expect((await checker.verifyCertificate(node(leaf))).status).toBe('authenticated');
    responder.setStatus(serialOf(leaf), 'revoked');
    expect((await checker.verifyCertificate(node(leaf))).status).toBe('revoked');
  });
});

describe('CRL', () => {
  let revokedLeaf: IssuedCertificate;

  beforeAll(async () => {
    revokedLeaf = await issueClientCertificate(pki.issuingCa, 'P-384');
  });

  async function crlFile(name: string, ...args: Parameters<typeof createCrl>): Promise<string> {
    const path = join(dir, name);
    writeFileSync(path, (await createCrl(...args)).pem);
    return path;
  }

  it('refuses a certificate listed in a configured CRL file and admits one that is not', async () => {
    const file = await crlFile('issuing.crl', pki.issuingCa, { revoked: [{ serialNumber: serialOf(revokedLeaf) }] });
    const checker = trust({ mode: 'crl', crl: { files: [file] } });
    expect(await checker.verifyCertificate(node(revokedLeaf))).toMatchObject({ status: 'revoked' });
    expect((await checker.verifyCertificate(node(pki.clients['P-384']))).status).toBe('authenticated');
  });

  it('is indeterminate with a CRL not signed by the issuer, or past its nextUpdate', async () => {
    const other = await createRootCa({ commonName: 'Other' });
    const forged = await crlFile('forged.crl', pki.issuingCa, { signingKey: other.privateKey.cryptoKey });
    const expired = await crlFile('expired.crl', pki.issuingCa, {
      thisUpdate: new Date(Date.now() - 3 * 86_400_000),
      nextUpdate: new Date(Date.now() - 86_400_000),
    });
    for (const file of [forged, expired]) {
      const result = await trust({ mode: 'crl', crl: { files: [file] } }).verifyCertificate(node(pki.clients['P-384']));
      expect(result).toMatchObject({ status: 'indeterminate', reason: 'no current CRL from the issuer' });
    }
  });

  it('follows the distribution point in the certificate', async () => {
    const leaf = await issueClientCertificate(pki.issuingCa, 'P-384', { crlUrl: responder.crlUrl });
    expect((await trust({ mode: 'crl' }).verifyCertificate(node(leaf))).status).toBe('authenticated');
    responder.setStatus(serialOf(leaf), 'revoked');
    expect((await trust({ mode: 'crl' }).verifyCertificate(node(leaf))).status).toBe('revoked');
  });

  it('keeps the last good CRL across a failed refresh until its nextUpdate, then refreshes on nextUpdate', async () => {
    const server = await startOcspResponder({ ca: pki.issuingCa });
    let now = Date.now();
    const checker = trust({ mode: 'crl', crl: { urls: [server.crlUrl], refreshIntervalMs: 60_000 }, clock: () => now });
    const leaf = node(pki.clients['P-384']);
    expect((await checker.verifyCertificate(leaf)).status).toBe('authenticated');
    await server.close();
    now += 120_000;
    expect((await checker.verifyCertificate(leaf)).status).toBe('authenticated');
    now += 2 * 86_400_000;
    expect(await checker.verifyCertificate(leaf)).toMatchObject({ status: 'indeterminate' });
  });
});

describe('CRL refresh in the background', () => {
  afterEach(() => jest.useRealTimers());

  it('replaces a CRL on the interval without waiting for a request', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const leaf = await issueClientCertificate(pki.issuingCa, 'P-384');
    const file = join(dir, 'background.crl');
    writeFileSync(file, (await createCrl(pki.issuingCa)).pem);
    const revokedCrl = (await createCrl(pki.issuingCa, { revoked: [{ serialNumber: serialOf(leaf) }] })).pem;
    let now = Date.now();
    const store = new CrlStore(crlOptions({ files: [file], refreshIntervalMs: 60_000 }), () => now);
    const checker = new ClientTrust([node(pki.issuingCa)], { mode: 'crl', crl: store }, () => now);
    store.start(1_000);
    try {
      expect((await checker.verifyCertificate(node(leaf))).status).toBe('authenticated');
      writeFileSync(file, revokedCrl);
      now += 60_000;
      jest.advanceTimersByTime(1_000);
      await new Promise((resolve) => setImmediate(resolve));
      // Gone now: only a refresh that already happened in the background can know about the revocation.
      rmSync(file);
      now += 1;
      expect(await checker.verifyCertificate(node(leaf))).toMatchObject({ status: 'revoked' });
    } finally {
      store.stop();
    }
  });
});

describe('revocation modes', () => {
  it('falls back to the CRL in ocsp-then-crl when OCSP cannot answer, and only then', async () => {
    const down = await closedPortUrl();
    const leaf = await issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: down });
    const file = join(dir, 'fallback.crl');
    writeFileSync(file, (await createCrl(pki.issuingCa, { revoked: [{ serialNumber: serialOf(leaf) }] })).der);
    expect(await trust({ mode: 'ocsp-then-crl', crl: { files: [file] } }).verifyCertificate(node(leaf))).toMatchObject({ status: 'revoked' });
    expect(await trust({ mode: 'ocsp', crl: { files: [file] } }).verifyCertificate(node(leaf))).toMatchObject({ status: 'indeterminate' });
    const good = await clientWithAia(responder.url);
    const emptyCrl = join(dir, 'empty.crl');
    writeFileSync(emptyCrl, (await createCrl(pki.issuingCa, { revoked: [{ serialNumber: serialOf(good) }] })).der);
    expect((await trust({ mode: 'ocsp-then-crl', crl: { files: [emptyCrl] } }).verifyCertificate(node(good))).status).toBe('authenticated');
  });

  it('checks nothing in mode none', async () => {
    const leaf = await issueClientCertificate(pki.issuingCa, 'P-384', { ocspUrl: await closedPortUrl() });
    expect((await trust({ mode: 'none' }).verifyCertificate(node(leaf))).status).toBe('authenticated');
  });
});
