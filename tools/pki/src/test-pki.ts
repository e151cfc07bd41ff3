import { isIP } from 'node:net';
import {
  createRootCa,
  issueCa,
  issueCertificate,
  type CertificateAuthority,
  type CertificateFields,
  type KeyUsage,
  type LeafCertificate,
} from './issue-certificate';
import { isEcKeyAlgorithm, KEY_ALGORITHMS, type KeyAlgorithm } from './key-algorithm';
import type { x509 } from './x509-provider';

export interface TestPki<A extends KeyAlgorithm = KeyAlgorithm> {
  readonly rootCa: CertificateAuthority;
  /** Issues the server and client certificates; the only CA the recipient service trusts by default. */
  readonly issuingCa: CertificateAuthority;
  readonly server: LeafCertificate;
  readonly clients: Readonly<Record<A, LeafCertificate>>;
}

export interface TestPkiOptions<A extends KeyAlgorithm> {
  /** Which client keys to certify. Default: all of KEY_ALGORITHMS (RSA-4096 takes a while). */
  readonly clientKeys?: readonly A[];
  /** Host names or IP addresses added to the server certificate besides localhost and 127.0.0.1. */
  readonly hosts?: readonly string[];
  /** OCSP responder URL put in every certificate the issuing CA issues. */
  readonly ocspUrl?: string;
  /** CRL distribution point put in every certificate the issuing CA issues. */
  readonly crlUrl?: string;
}

export type LeafOverrides = Omit<CertificateFields, 'keyAlgorithm'>;

export const DEFAULT_SERVER_HOSTS: readonly string[] = ['localhost', '127.0.0.1'];

const ORGANISATION: x509.JsonName = [{ C: ['EE'] }, { O: ['CCS Test'] }];

export async function generateTestPki<const A extends KeyAlgorithm = KeyAlgorithm>(
  options: TestPkiOptions<A> = {},
): Promise<TestPki<A>> {
  const clientKeys = [...new Set(options.clientKeys ?? (KEY_ALGORITHMS as readonly KeyAlgorithm[] as readonly A[]))];
  const revocation = { ocspUrl: options.ocspUrl, crlUrl: options.crlUrl };
  const rootCa = await createRootCa({ subject: [...ORGANISATION, { CN: ['CCS Test Root CA'] }] });
  const issuingCa = await issueCa(rootCa, { subject: [...ORGANISATION, { CN: ['CCS Test Issuing CA'] }], pathLength: 0 });
  const [server, ...clients] = await Promise.all([
    issueServerCertificate(issuingCa, [...DEFAULT_SERVER_HOSTS, ...(options.hosts ?? [])], revocation),
    ...clientKeys.map((algorithm) => issueClientCertificate(issuingCa, algorithm, revocation)),
  ]);
  return {
    rootCa,
    issuingCa,
    server,
    clients: Object.fromEntries(clientKeys.map((algorithm, i) => [algorithm, clients[i]])) as Record<A, LeafCertificate>,
  };
}

/** A TLS server certificate (EC P-256, serverAuth) naming these hosts in its subjectAltName. */
export function issueServerCertificate(
  issuer: CertificateAuthority,
  hosts: readonly string[],
  overrides: LeafOverrides = {},
): Promise<LeafCertificate> {
  const unique = [...new Set(hosts)];
  if (!unique.length) {
    throw new Error('A server certificate needs at least one host');
  }
  return issueCertificate(issuer, {
    subject: [...ORGANISATION, { CN: [unique[0]] }],
    keyAlgorithm: 'P-256',
    keyUsages: ['digitalSignature'],
    extendedKeyUsages: ['serverAuth'],
    dnsNames: unique.filter((host) => !isIP(host)),
    ipAddresses: unique.filter((host) => isIP(host)),
    ...overrides,
  });
}

/**
 * A client certificate shaped like an Estonian ID-card authentication certificate, with a
 * made-up holder: EC keys for key agreement, RSA keys for key transport, EKU clientAuth.
 */
export function issueClientCertificate(
  issuer: CertificateAuthority,
  algorithm: KeyAlgorithm,
  overrides: LeafOverrides = {},
): Promise<LeafCertificate> {
  const keyUsages: KeyUsage[] = isEcKeyAlgorithm(algorithm)
    ? ['digitalSignature', 'keyAgreement']
    : ['digitalSignature', 'keyEncipherment'];
  return issueCertificate(issuer, {
    subject: [{ C: ['EE'] }, { CN: [`TEST,CCS,${algorithm}`] }, { SN: ['TEST'] }, { G: ['CCS'] }],
    keyAlgorithm: algorithm,
    keyUsages,
    extendedKeyUsages: ['clientAuth'],
    ...overrides,
  });
}
