import { createPrivateKey, X509Certificate } from 'node:crypto';
import { certificateChainPem, createRootCa, issueCa, issueCertificate, type CertificateAuthority } from './issue-certificate';
import { generateKeyPair } from './key-algorithm';
import { x509 } from './x509-provider';

function node(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

describe('createRootCa, issueCa, issueCertificate', () => {
  let root: CertificateAuthority;
  let intermediate: CertificateAuthority;

  beforeAll(async () => {
    root = await createRootCa({ commonName: 'Spec Root', keyAlgorithm: 'P-256' });
    intermediate = await issueCa(root, { commonName: 'Spec Intermediate', keyAlgorithm: 'P-256' });
  });

  it('returns the certificate as PEM, DER and parsed, with a PKCS#8 key that belongs to it', async () => {
    const leaf = await issueCertificate(intermediate, { commonName: 'leaf' });
    expect(leaf.kind).toBe('leaf');
    expect(leaf.keyAlgorithm).toBe('P-256');
    expect(node(leaf.certificate.pem).raw.equals(leaf.certificate.der)).toBe(true);
    expect(Buffer.from(leaf.certificate.x509.rawData).equals(leaf.certificate.der)).toBe(true);
    expect(leaf.privateKey.pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(node(leaf.certificate.pem).checkPrivateKey(createPrivateKey(leaf.privateKey.pem))).toBe(true);
    expect(leaf.privateKey.cryptoKey.type).toBe('private');
    expect(leaf.issuer).toBe(intermediate);
  });

  it('signs with a hash that matches the issuing curve', async () => {
    const p521 = await createRootCa({ commonName: 'P-521 Root', keyAlgorithm: 'P-521' });
    const p384 = await issueCa(p521, { commonName: 'P-384 CA' });
    const rsa = await issueCa(p384, { commonName: 'RSA CA', keyAlgorithm: 'RSA-2048' });
    const leaf = await issueCertificate(rsa, { commonName: 'leaf' });
    expect(p521.certificate.x509.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-512' } });
    expect(p384.certificate.x509.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-512' } });
    expect(rsa.certificate.x509.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-384' } });
    expect(leaf.certificate.x509.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    expect(node(leaf.certificate.pem).verify(node(rsa.certificate.pem).publicKey)).toBe(true);
    expect(node(rsa.certificate.pem).verify(node(p384.certificate.pem).publicKey)).toBe(true);
  });

  it('marks CAs with basicConstraints and a path length only where asked', async () => {
    expect(root.certificate.x509.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, pathLength: undefined, critical: true });
    expect(intermediate.certificate.x509.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, pathLength: 0 });
    const deep = await issueCa(root, { commonName: 'Deep', pathLength: 2 });
    expect(deep.certificate.x509.getExtension(x509.BasicConstraintsExtension)?.pathLength).toBe(2);
  });

  it('links authority and subject key identifiers', async () => {
    const leaf = await issueCertificate(intermediate, { commonName: 'leaf' });
    const issuerKeyId = intermediate.certificate.x509.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(issuerKeyId).toMatch(/^[0-9a-f]{40}$/);
    expect(leaf.certificate.x509.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(issuerKeyId);
  });

  it('applies the requested subject, validity, usages, names, serial number and revocation URLs', async () => {
    const notBefore = new Date('2024-01-02T03:04:05Z');
    const notAfter = new Date('2024-02-03T04:05:06Z');
    const leaf = await issueCertificate(intermediate, {
      subject: [{ C: ['EE'] }, { CN: ['Someone'] }],
      keyAlgorithm: 'P-384',
      notBefore,
      notAfter,
      keyUsages: ['digitalSignature', 'nonRepudiation'],
      extendedKeyUsages: ['clientAuth', 'emailProtection', '1.3.6.1.4.1.99999.1'],
      dnsNames: ['a.example.test', 'b.example.test'],
      ipAddresses: ['192.0.2.7', '2001:db8::7'],
      serialNumber: '0badc0ffee',
      ocspUrl: 'http://ocsp.example.test/',
      crlUrl: 'http://crl.example.test/ca.crl',
    });
    const certificate = node(leaf.certificate.pem);
    expect(certificate.subject).toBe('C=EE\nCN=Someone');
    expect(new Date(certificate.validFrom)).toEqual(notBefore);
    expect(new Date(certificate.validTo)).toEqual(notAfter);
    expect(certificate.serialNumber).toBe('0BADC0FFEE');
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4', '1.3.6.1.4.1.99999.1']);
    expect(leaf.certificate.x509.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
    );
    expect(certificate.subjectAltName).toBe('DNS:a.example.test, DNS:b.example.test, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7');
    expect(certificate.infoAccess).toContain('OCSP - URI:http://ocsp.example.test/');
    expect(leaf.certificate.x509.getExtension(x509.CRLDistributionPointsExtension)).toBeDefined();
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  });

  it('rejects malformed inputs instead of writing them into a certificate', async () => {
    await expect(issueCertificate(intermediate, { commonName: 'x', ipAddresses: ['localhost'] })).rejects.toThrow('Not an IP address');
    await expect(issueCertificate(intermediate, { commonName: 'x', serialNumber: '00' })).rejects.toThrow('Serial number');
    await expect(issueCertificate(intermediate, { commonName: 'x', extendedKeyUsages: ['anything'] })).rejects.toThrow(
      'Unknown extended key usage',
    );
  });

  it('certifies a given key pair instead of generating one', async () => {
    const keyPair = await generateKeyPair('P-256');
    const first = await issueCertificate(intermediate, { commonName: 'one', keyPair });
    const second = await issueCertificate(intermediate, { commonName: 'two', keyPair });
    expect(node(first.certificate.pem).publicKey.equals(node(second.certificate.pem).publicKey)).toBe(true);
    expect(first.certificate.der.equals(second.certificate.der)).toBe(false);
  });

  it('forges a certificate in the issuer name with another signing key when asked', async () => {
    const impostor = await generateKeyPair('P-256');
    const forged = await issueCertificate(intermediate, { commonName: 'forged', signingKey: impostor.privateKey });
    const certificate = node(forged.certificate.pem);
    const realIssuer = node(intermediate.certificate.pem);
    expect(certificate.issuer).toBe(realIssuer.subject);
    expect(certificate.verify(realIssuer.publicKey)).toBe(false);
  });

  it('builds a TLS chain from the leaf up to, not including, the root', async () => {
    const leaf = await issueCertificate(intermediate, { commonName: 'leaf' });
    expect(certificateChainPem(leaf)).toBe(leaf.certificate.pem + intermediate.certificate.pem);
    expect(certificateChainPem(intermediate)).toBe(intermediate.certificate.pem);
    expect(certificateChainPem(root)).toBe(root.certificate.pem);
  });
});

