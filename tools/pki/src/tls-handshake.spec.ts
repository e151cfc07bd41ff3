import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { certificateChainPem, createRootCa, type LeafCertificate } from './issue-certificate';
import { generateTestPki, issueClientCertificate, type TestPki } from './test-pki';

const CLIENT_KEYS = ['P-256', 'P-384', 'P-521', 'RSA-2048'] as const;

/**
 * In TLS 1.3 the client finishes its side of the handshake before the server has judged the client
 * certificate; a refused client sees the connection close without the server's greeting.
 */
interface HandshakeResult {
  /** The serial number of the client certificate, as the server saw it after accepting the client. */
  readonly acceptedSerial?: string;
  readonly clientError?: string;
  readonly serverVerifiedByClient: boolean;
}

/** A recipient-style server: TLS 1.3, client certificate required, trusting the issuing CA alone. */
function startServer(pki: TestPki<(typeof CLIENT_KEYS)[number]>): Promise<tls.Server> {
  const options: tls.TlsOptions = {
    cert: certificateChainPem(pki.server),
    key: pki.server.privateKey.pem,
    ca: [pki.issuingCa.certificate.pem],
    allowPartialTrustChain: true,
    minVersion: 'TLSv1.3',
  };
  // Node 20.20's tls.Server does not pass allowPartialTrustChain on to its own context; a context
  // handed over through SNICallback keeps it, so clients that send SNI are verified as intended.
  const partialChainContext = tls.createSecureContext(options);
  const server = tls.createServer(
    { ...options, requestCert: true, rejectUnauthorized: true, SNICallback: (_name, done) => done(null, partialChainContext) },
    (socket) => socket.end(JSON.stringify({ serial: socket.getPeerCertificate().serialNumber })),
  );
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function connect(server: tls.Server, options: tls.ConnectionOptions): Promise<HandshakeResult> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', minVersion: 'TLSv1.3', ...options });
    let received = '';
    let clientError: string | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (clientError = error.code ?? error.message));
    socket.on('close', () =>
      resolve({
        acceptedSerial: received ? (JSON.parse(received) as { serial: string }).serial : undefined,
        clientError,
        serverVerifiedByClient: socket.authorized,
      }),
    );
  });
}

function asClient(leaf: LeafCertificate): tls.ConnectionOptions {
  return { cert: leaf.certificate.pem, key: leaf.privateKey.pem };
}

describe('TLS 1.3 with the test PKI', () => {
  let pki: TestPki<(typeof CLIENT_KEYS)[number]>;
  let server: tls.Server;
  let rootCa: string;

  beforeAll(async () => {
    pki = await generateTestPki({ clientKeys: CLIENT_KEYS });
    rootCa = pki.rootCa.certificate.pem;
    server = await startServer(pki);
  }, 30_000);

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(CLIENT_KEYS)('accepts a %s client certificate issued by the issuing CA', async (algorithm) => {
    const client = pki.clients[algorithm];
    const result = await connect(server, { ...asClient(client), ca: rootCa });
    expect(result.clientError).toBeUndefined();
    expect(result.acceptedSerial).toBe(new X509Certificate(client.certificate.pem).serialNumber);
  });

  it('lets a client that trusts the root CA verify the server as localhost', async () => {
    const result = await connect(server, { ...asClient(pki.clients['P-256']), ca: rootCa });
    expect(result.serverVerifiedByClient).toBe(true);
  });

  it('fails a client that trusts only another root', async () => {
    const otherRoot = await createRootCa({ commonName: 'Other Root' });
    const result = await connect(server, { ...asClient(pki.clients['P-256']), ca: otherRoot.certificate.pem });
    expect(result.clientError).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    expect(result.serverVerifiedByClient).toBe(false);
  });

  it('fails a client that expects another host name', async () => {
    const result = await connect(server, { ...asClient(pki.clients['P-256']), ca: rootCa, servername: 'ccs.example.test' });
    expect(result.clientError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(result.acceptedSerial).toBeUndefined();
  });

  it('refuses a client without a certificate', async () => {
    const result = await connect(server, { ca: rootCa });
    expect(result.acceptedSerial).toBeUndefined();
    expect(result.clientError).toMatch(/ALERT_CERTIFICATE_REQUIRED/);
  });

  it('refuses a client certificate from another root that reuses the issuing CA name with a different key', async () => {
    const issuingCaName = new X509Certificate(pki.issuingCa.certificate.pem).subject;
    const impostorCa = await createRootCa({ subject: pki.issuingCa.certificate.x509.subjectName });
    const impostor = await issueClientCertificate(impostorCa, 'P-384');
    expect(new X509Certificate(impostorCa.certificate.pem).subject).toBe(issuingCaName);
    expect(new X509Certificate(impostor.certificate.pem).issuer).toBe(issuingCaName);

    const result = await connect(server, { ...asClient(impostor), ca: rootCa });
    expect(result.serverVerifiedByClient).toBe(true);
    expect(result.acceptedSerial).toBeUndefined();
  });

  it('refuses a client certificate that names the real issuing CA but was signed with another key', async () => {
    const impostorCa = await createRootCa({ commonName: 'Impostor' });
    const forged = await issueClientCertificate(pki.issuingCa, 'P-256', { signingKey: impostorCa.privateKey.cryptoKey });

    const result = await connect(server, { ...asClient(forged), ca: rootCa });
    expect(result.serverVerifiedByClient).toBe(true);
    expect(result.acceptedSerial).toBeUndefined();
  });
});
