import type { CertificateAuthority } from './issue-certificate';
import { signingAlgorithmFor } from './key-algorithm';
import { x509 } from './x509-provider';

export interface RevokedEntry {
  /** Hex, as in LeafCertificate.certificate.x509.serialNumber. */
  readonly serialNumber: string;
  readonly revocationDate?: Date;
}

export interface CrlOptions {
  readonly revoked?: readonly RevokedEntry[];
  /** Default: now. */
  readonly thisUpdate?: Date;
  /** Default: thisUpdate + 1 day. */
  readonly nextUpdate?: Date;
  /** Sign with this key instead of the CA's, to forge a CRL in tests. */
  readonly signingKey?: CertificateAuthority['privateKey']['cryptoKey'];
}

export interface Crl {
  readonly der: Buffer;
  readonly pem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A CRL signed by the CA listing these serial numbers. */
export async function createCrl(ca: CertificateAuthority, options: CrlOptions = {}): Promise<Crl> {
  const thisUpdate = options.thisUpdate ?? new Date();
  const signingKey = options.signingKey ?? ca.privateKey.cryptoKey;
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.x509.subject,
    thisUpdate,
    nextUpdate: options.nextUpdate ?? new Date(thisUpdate.getTime() + DAY_MS),
    signingKey,
    signingAlgorithm: signingAlgorithmFor(signingKey),
    entries: (options.revoked ?? []).map((entry) => ({
      serialNumber: entry.serialNumber,
      revocationDate: entry.revocationDate ?? new Date(thisUpdate.getTime() - 1000),
    })),
  });
  const der = Buffer.from(crl.rawData);
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return { der, pem: `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n` };
}
