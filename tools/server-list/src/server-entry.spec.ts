import { certificateChainPem, createRootCa, issueCa, issueServerCertificate, type CertificateAuthority, type LeafCertificate } from '@ccs/test-pki';
import { createHash } from 'node:crypto';
import { buildServerEntry, ServerListError, type CertificateFile, type ServerSettings } from './server-entry';

let issuingCa: CertificateAuthority;
let current: LeafCertificate;
let next: LeafCertificate;
let otherHost: LeafCertificate;
let expired: LeafCertificate;
let loopback: LeafCertificate;

const settings: ServerSettings = {
  serverId: '5B2C3A1E-7F4D-4E8A-9C6B-0D1E2F3A4B5C',
  name: 'Example CCS',
  organisationId: 'org:example',
  capsuleTypes: ['key-server'],
  senderUrl: 'https://ccs.example.org:8443',
  recipientUrl: 'https://ccs.example.org:8444/',
};
const file = (leaf: LeafCertificate, path = 'server.crt'): CertificateFile => ({ path, pem: certificateChainPem(leaf) });

function problemsOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof ServerListError) return error.problems;
    throw error;
  }
  throw new Error('expected a ServerListError');
}

beforeAll(async () => {
  const root = await createRootCa({ commonName: 'Server List Test Root' });
  issuingCa = await issueCa(root, { commonName: 'Server List Test CA' });
  [current, next, otherHost, expired, loopback] = await Promise.all([
    issueServerCertificate(issuingCa, ['ccs.example.org']),
    issueServerCertificate(issuingCa, ['ccs.example.org', 'ccs2.example.org']),
    issueServerCertificate(issuingCa, ['elsewhere.example.net']),
    issueServerCertificate(issuingCa, ['ccs.example.org'], {
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    }),
    issueServerCertificate(issuingCa, ['127.0.0.1']),
  ]);
});

describe('buildServerEntry', () => {
  it('pins every server certificate by the SHA-256 of its SubjectPublicKeyInfo', () => {
    const entry = buildServerEntry(settings, [file(current, 'a.crt'), file(next, 'b.crt')]);
    const expected = [current, next].map((leaf) =>
      createHash('sha256').update(Buffer.from(leaf.certificate.x509.publicKey.rawData)).digest('base64'),
    );
    expect(entry.certificates.map((c) => c.spkiSha256)).toEqual(expected);
    expect(expected[0]).not.toBe(expected[1]);
    expect(entry.certificates.map((c) => c.path)).toEqual(['a.crt', 'b.crt']);
  });

  it('takes the first certificate of a file as the server certificate and leaves its chain out', () => {
    const entry = buildServerEntry(settings, [file(current)]);
    expect(entry.certificates).toHaveLength(1);
    expect(entry.certificates[0].certificate.raw).toEqual(current.certificate.der);
  });

  it('normalises the server id and the base URLs', () => {
    const entry = buildServerEntry(settings, [file(current)]);
    expect(entry.serverId).toBe('5b2c3a1e-7f4d-4e8a-9c6b-0d1e2f3a4b5c');
    expect(entry.senderUrl).toBe('https://ccs.example.org:8443');
    expect(entry.recipientUrl).toBe('https://ccs.example.org:8444');
  });

  it('expands key-server to every key-server capsule type and keeps a narrower choice as given', () => {
    expect(buildServerEntry(settings, [file(current)]).capsuleTypes).toEqual(['ecc_secp256r1', 'ecc_secp384r1', 'ecc_secp521r1', 'rsa']);
    expect(buildServerEntry({ ...settings, capsuleTypes: ['rsa,ecc_secp384r1'] }, [file(current)]).capsuleTypes).toEqual([
      'ecc_secp384r1',
      'rsa',
    ]);
  });

  it('names every invalid setting at once', () => {
    const problems = problemsOf(() =>
      buildServerEntry(
        {
          serverId: 'ccs-1',
          name: ' ',
          organisationId: 'a\nb',
          capsuleTypes: ['ecc_secp999r1'],
          senderUrl: 'http://ccs.example.org:8443',
          recipientUrl: 'not a url',
        },
        [file(current)],
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^server id must be a UUID/),
      expect.stringMatching(/^name must be non-empty/),
      expect.stringMatching(/^organisation id must be non-empty/),
      expect.stringMatching(/^capsule type ecc_secp999r1 is unknown/),
      'sender URL must use https',
      expect.stringMatching(/^recipient URL must be an absolute https URL/),
    ]);
  });

  it.each([
    ['https://ccs.example.org:8443/key-capsules', 'sender URL must be the base URL, without /key-capsules'],
    ['https://ccs.example.org:8443/?a=1', 'sender URL must not have a query or fragment'],
    ['https://user:secret@ccs.example.org:8443', 'sender URL must not carry credentials'],
  ])('refuses the sender URL %s', (senderUrl, problem) => {
    expect(problemsOf(() => buildServerEntry({ ...settings, senderUrl }, [file(current)]))).toEqual([problem]);
  });

  it('refuses files that clients could not pin', () => {
    const problems = problemsOf(() =>
      buildServerEntry(settings, [
        { path: 'empty.crt', pem: 'nothing here' },
        { path: 'key.pem', pem: current.privateKey.pem },
        { path: 'ca.crt', pem: issuingCa.certificate.pem },
        file(expired, 'old.crt'),
        file(current, 'a.crt'),
        file(current, 'again.crt'),
      ]),
    );
    expect(problems).toEqual([
      'empty.crt: holds no PEM certificate',
      'key.pem: holds a private key; give the certificate only',
      'ca.crt: is a CA certificate; give the server (leaf) certificate',
      expect.stringMatching(/^old\.crt: expired on \d{4}-/),
      'again.crt: repeats the public key of an earlier certificate',
    ]);
  });

  it('requires a certificate that names each URL host, since clients verify the host name', () => {
    expect(problemsOf(() => buildServerEntry(settings, [file(otherHost, 'other.crt')]))).toEqual([
      'sender URL: no server certificate names the host ccs.example.org in its subjectAltName (clients verify it)',
      'recipient URL: no server certificate names the host ccs.example.org in its subjectAltName (clients verify it)',
      'other.crt: names neither the sender nor the recipient host',
    ]);
    const split = buildServerEntry({ ...settings, recipientUrl: 'https://ccs2.example.org:8444' }, [file(current), file(next, 'next.crt')]);
    expect(split.certificates).toHaveLength(2);
  });

  it('checks IP addresses in URLs against the IP addresses of the certificate', () => {
    const local = { ...settings, senderUrl: 'https://127.0.0.1:8443', recipientUrl: 'https://127.0.0.1:8444' };
    expect(problemsOf(() => buildServerEntry(local, [file(current)]))).toHaveLength(3);
    expect(buildServerEntry(local, [file(loopback)]).certificates).toHaveLength(1);
  });

  it('requires at least one certificate', () => {
    expect(problemsOf(() => buildServerEntry(settings, []))).toEqual(['at least one server certificate file is required']);
  });
});
