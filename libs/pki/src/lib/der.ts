import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash, KeyObject, verify, X509Certificate } from 'node:crypto';

export const OID = {
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  crlDistributionPoints: '2.5.29.31',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  sha1: '1.3.14.3.2.26',
} as const;

const DIGESTS: Readonly<Record<string, string>> = {
  [OID.sha1]: 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

// SHA-1 signatures are refused: collisions are practical, and OCSP/CRL signers moved to SHA-2 long ago.
const SIGNATURE_DIGESTS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export function digestName(oid: string): string | undefined {
  return DIGESTS[oid];
}

export function digest(algorithm: string, data: Uint8Array): Buffer {
  return createHash(algorithm).update(data).digest();
}

/** Verifies a signature made by an X.509 signer (DER-encoded ECDSA or PKCS#1 v1.5 RSA). */
export function verifySignature(signatureAlgorithm: string, data: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  const hash = SIGNATURE_DIGESTS[signatureAlgorithm];
  if (!hash) return false;
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

export function parsedCertificate(certificate: X509Certificate): pkijs.Certificate {
  return pkijs.Certificate.fromBER(certificate.raw);
}

export function toNodeCertificate(certificate: pkijs.Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(certificate.toSchema().toBER(false)));
}

function extension(certificate: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return certificate.extensions?.find((e) => e.extnID === oid);
}

export interface KeyUsageBits {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
}

/** undefined when the certificate has no keyUsage extension. */
export function keyUsageOf(certificate: pkijs.Certificate): KeyUsageBits | undefined {
  const bits = extension(certificate, OID.keyUsage)?.parsedValue as asn1js.BitString | undefined;
  if (!bits) return undefined;
  const first = bits.valueBlock.valueHexView[0] ?? 0;
  return { digitalSignature: (first & 0x80) !== 0, nonRepudiation: (first & 0x40) !== 0 };
}

/** undefined when the certificate has no extKeyUsage extension. */
export function extendedKeyUsageOf(certificate: pkijs.Certificate): readonly string[] | undefined {
  const value = extension(certificate, OID.extKeyUsage)?.parsedValue as pkijs.ExtKeyUsage | undefined;
  return value?.keyPurposes;
}

const URI = 6;

export function ocspUrlsOf(certificate: pkijs.Certificate): string[] {
  const value = extension(certificate, OID.authorityInfoAccess)?.parsedValue as pkijs.InfoAccess | undefined;
  return (value?.accessDescriptions ?? [])
    .filter((d) => d.accessMethod === OID.adOcsp && d.accessLocation.type === URI)
    .map((d) => String(d.accessLocation.value));
}

export function crlUrlsOf(certificate: pkijs.Certificate): string[] {
  const value = extension(certificate, OID.crlDistributionPoints)?.parsedValue as pkijs.CRLDistributionPoints | undefined;
  return (value?.distributionPoints ?? []).flatMap((point) =>
    Array.isArray(point.distributionPoint)
      ? point.distributionPoint.filter((name) => name.type === URI).map((name) => String(name.value))
      : [],
  );
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Lower-case hex SHA-256 of the certificate, the form used to name a CA in configuration. */
export function certificateFingerprint(certificate: X509Certificate): string {
  return certificate.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** Whether issuer's key made certificate's signature (names are checked separately). */
export type SignatureCheck = (certificate: X509Certificate, issuer: X509Certificate) => boolean;

export const signatureVerifies: SignatureCheck = (certificate, issuer) => certificate.verify(issuer.publicKey);

/** The certificate among candidates that issued this one: name match and a verified signature. */
export function findIssuer(
  certificate: X509Certificate,
  candidates: readonly X509Certificate[],
  signatureHolds: SignatureCheck = signatureVerifies,
): X509Certificate | undefined {
  return candidates.find((candidate) => certificate.checkIssued(candidate) && signatureHolds(certificate, candidate));
}
