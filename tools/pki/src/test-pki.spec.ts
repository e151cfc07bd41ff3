import { X509Certificate } from 'node:crypto';
import { KEY_ALGORITHMS } from './key-algorithm';
import { generateTestPki, type TestPki } from './test-pki';
import { x509 } from './x509-provider';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const CURVE_NAMES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

function node(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

function keyUsageNames(pem: string): string[] {
  const extension = new x509.X509Certificate(pem).getExtension(x509.KeyUsagesExtension);
  if (!extension) return [];
  return Object.keys(x509.KeyUsageFlags).filter(
    (name) => Number.isNaN(Number(name)) && extension.usages & x509.KeyUsageFlags[name as keyof typeof x509.KeyUsageFlags],
  );
}

function validityYears(certificate: X509Certificate): number {
  return (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / YEAR_MS;
}

describe('generateTestPki', () => {
  let pki: TestPki;

  beforeAll(async () => {
    pki = await generateTestPki();
  }, 60_000);

  it('certifies a client key of every supported algorithm by default', () => {
    expect(Object.keys(pki.clients).sort()).toEqual([...KEY_ALGORITHMS].sort());
    for (const algorithm of KEY_ALGORITHMS) {
      const details = node(pki.clients[algorithm].certificate.pem).publicKey.asymmetricKeyDetails;
      if (algorithm.startsWith('P-')) {
        expect(details?.namedCurve).toBe(CURVE_NAMES[algorithm as keyof typeof CURVE_NAMES]);
      } else {
        expect(`RSA-${details?.modulusLength}`).toBe(algorithm);
      }
      expect(pki.clients[algorithm].keyAlgorithm).toBe(algorithm);
    }
  });

  it('chains every certificate to its issuer by name and by signature', () => {
    const root = node(pki.rootCa.certificate.pem);
    const issuing = node(pki.issuingCa.certificate.pem);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(issuing.checkIssued(root)).toBe(true);
    expect(issuing.verify(root.publicKey)).toBe(true);
    for (const leaf of [pki.server, ...Object.values(pki.clients)]) {
      const certificate = node(leaf.certificate.pem);
      expect(certificate.checkIssued(issuing)).toBe(true);
      expect(certificate.verify(issuing.publicKey)).toBe(true);
      expect(certificate.verify(root.publicKey)).toBe(false);
      expect(leaf.issuer).toBe(pki.issuingCa);
    }
    expect(pki.issuingCa.issuer).toBe(pki.rootCa);
    expect(pki.rootCa.issuer).toBeNull();
  });

  it('uses EC P-384 for both CAs, and only they are CAs; the issuing CA may not have sub-CAs', () => {
    for (const ca of [pki.rootCa, pki.issuingCa]) {
      const certificate = node(ca.certificate.pem);
      expect(certificate.ca).toBe(true);
      expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
      expect(keyUsageNames(ca.certificate.pem).sort()).toEqual(['cRLSign', 'keyCertSign']);
    }
    expect(pki.issuingCa.certificate.x509.getExtension(x509.BasicConstraintsExtension)?.pathLength).toBe(0);
    expect(pki.rootCa.certificate.x509.subject).toContain('CN=CCS Test Root CA');
    for (const leaf of [pki.server, ...Object.values(pki.clients)]) {
      expect(node(leaf.certificate.pem).ca).toBe(false);
    }
  });

  it('issues an EC P-256 TLS server certificate for localhost and 127.0.0.1', () => {
    const server = node(pki.server.certificate.pem);
    expect(server.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('example.com')).toBeUndefined();
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(keyUsageNames(pki.server.certificate.pem)).toEqual(['digitalSignature']);
  });

  it('gives client certificates ID-card key usages: key agreement for EC, key transport for RSA', () => {
    for (const algorithm of KEY_ALGORITHMS) {
      const pem = pki.clients[algorithm].certificate.pem;
      const expected = algorithm.startsWith('P-') ? ['digitalSignature', 'keyAgreement'] : ['digitalSignature', 'keyEncipherment'];
      expect(keyUsageNames(pem).sort()).toEqual(expected);
      expect(node(pem).keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(node(pem).subject.split('\n')).toEqual(['C=EE', `CN=TEST\\,CCS\\,${algorithm}`, 'SN=TEST', 'GN=CCS']);
    }
  });

  it('makes CAs valid for 10 years and leaves for 2, starting a little in the past', () => {
    const now = Date.now();
    for (const ca of [pki.rootCa, pki.issuingCa]) {
      expect(validityYears(node(ca.certificate.pem))).toBeCloseTo(10, 1);
    }
    for (const issued of [pki.rootCa, pki.issuingCa, pki.server, ...Object.values(pki.clients)]) {
      const certificate = node(issued.certificate.pem);
      const notBefore = Date.parse(certificate.validFrom);
      expect(notBefore).toBeLessThan(now - 60_000);
      expect(notBefore).toBeGreaterThan(now - 3600_000);
    }
    for (const leaf of [pki.server, ...Object.values(pki.clients)]) {
      expect(validityYears(node(leaf.certificate.pem))).toBeCloseTo(2, 1);
    }
  });

  it('gives every certificate a distinct positive 16-byte serial number', () => {
    const serials = [pki.rootCa, pki.issuingCa, pki.server, ...Object.values(pki.clients)].map(
      (issued) => node(issued.certificate.pem).serialNumber,
    );
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/);
    }
  });
});

describe('generateTestPki options', () => {
  it('certifies only the requested client keys and adds extra server hosts', async () => {
    const pki = await generateTestPki({ clientKeys: ['P-384'], hosts: ['ccs.example.test', '10.20.30.40', '::1'] });
    expect(Object.keys(pki.clients)).toEqual(['P-384']);
    const server = node(pki.server.certificate.pem);
    expect(server.checkHost('ccs.example.test')).toBe('ccs.example.test');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('10.20.30.40')).toBe('10.20.30.40');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('puts the revocation URLs into what the issuing CA issues', async () => {
    const pki = await generateTestPki({
      clientKeys: ['P-256'],
      ocspUrl: 'http://127.0.0.1:8080/ocsp',
      crlUrl: 'http://127.0.0.1:8080/issuing-ca.crl',
    });
    for (const leaf of [pki.server, pki.clients['P-256']]) {
      expect(node(leaf.certificate.pem).infoAccess).toContain('OCSP - URI:http://127.0.0.1:8080/ocsp');
      const points = leaf.certificate.x509.getExtension(x509.CRLDistributionPointsExtension)?.distributionPoints;
      expect(points?.[0].distributionPoint?.fullName?.[0].uniformResourceIdentifier).toBe('http://127.0.0.1:8080/issuing-ca.crl');
    }
    expect(node(pki.issuingCa.certificate.pem).infoAccess).toBeUndefined();
  });
});
