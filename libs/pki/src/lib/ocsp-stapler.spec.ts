import { certificateChainPem, generateTestPki, issueServerCertificate, startOcspResponder, type OcspResponder, type TestPki } from '@ccs/test-pki';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import { verifyOcspResponse } from './ocsp-client';
import { OcspStapler, StaplerEvent } from './ocsp-stapler';
import { parsePemCertificates } from './pem';

const OPTIONS = { timeoutMs: 5000, clockSkewMs: 300_000, maxAgeMs: 3_600_000, retryMs: 60_000 };
let pki: TestPki<'P-256'>;
let responder: OcspResponder;

beforeAll(async () => {
  pki = await generateTestPki({ clientKeys: ['P-256'] });
  responder = await startOcspResponder({ ca: pki.issuingCa });
});
afterAll(() => responder.close());

/** What a TLS client that asks for a stapled OCSP response receives from a server stapling with this stapler. */
async function stapledBy(stapler: OcspStapler, chainPem: string, key: string): Promise<Buffer | null> {
  const server = createServer({ cert: chainPem, key, minVersion: 'TLSv1.3' }, (socket) => socket.end());
  server.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer | null) => void) =>
    callback(null, stapler.current() ?? null),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  try {
    const options = { port, host: '127.0.0.1', servername: 'localhost', ca: pki.rootCa.certificate.pem, requestOCSP: true };
    const client = connect(options);
    const [response] = (await once(client, 'OCSPResponse')) as [Buffer | null];
    client.destroy();
    return response;
  } finally {
    server.close();
  }
}

it('staples a verified response for the server certificate from its AIA responder', async () => {
  const server = await issueServerCertificate(pki.issuingCa, ['localhost'], { ocspUrl: responder.url });
  const chainPem = certificateChainPem(server);
  const events: StaplerEvent[] = [];
  const stapler = new OcspStapler(parsePemCertificates(chainPem), OPTIONS, (event) => events.push(event));
  await stapler.start();
  stapler.stop();
  expect(events).toEqual([{ kind: 'fetched', status: 'good' }]);
  const stapled = await stapledBy(stapler, chainPem, server.privateKey.pem);
  expect(stapled).not.toBeNull();
  const verified = verifyOcspResponse(stapled as Buffer, new X509Certificate(server.certificate.der), new X509Certificate(pki.issuingCa.certificate.der), {
    nonce: undefined,
    nonceRequired: false,
    now: Date.now(),
    clockSkewMs: 0,
    maxAgeMs: 60_000,
  });
  expect(verified.status).toBe('good');
});

it('staples nothing while the responder cannot be reached, and reports why', async () => {
  const down = await startOcspResponder({ ca: pki.issuingCa });
  const server = await issueServerCertificate(pki.issuingCa, ['localhost'], { ocspUrl: down.url });
  await down.close();
  const chainPem = certificateChainPem(server);
  const events: StaplerEvent[] = [];
  const stapler = new OcspStapler(parsePemCertificates(chainPem), OPTIONS, (event) => events.push(event));
  await stapler.start();
  stapler.stop();
  expect(events).toEqual([{ kind: 'failed', reason: 'connection failed' }]);
  expect(await stapledBy(stapler, chainPem, server.privateKey.pem)).toBeNull();
});

it('refuses to start for a certificate without AIA or without its issuer in the chain', async () => {
  expect(() => new OcspStapler(parsePemCertificates(certificateChainPem(pki.server)), OPTIONS)).toThrow(/names no OCSP responder/);
  const withAia = await issueServerCertificate(pki.issuingCa, ['localhost'], { ocspUrl: responder.url });
  expect(() => new OcspStapler(parsePemCertificates(withAia.certificate.pem), OPTIONS)).toThrow(/must include the issuing CA/);
});
