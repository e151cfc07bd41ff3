import { KeyObject, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { generateKeyPair, keyAlgorithmOfCryptoKey, signingAlgorithmFor, type KeyAlgorithm } from './key-algorithm';
import { x509, type CryptoKey, type CryptoKeyPair } from './x509-provider';

export type KeyUsage = keyof typeof x509.KeyUsageFlags;
export type ExtendedKeyUsage = keyof typeof x509.ExtendedKeyUsage;

interface SubjectByCommonName {
  /** Becomes a subject with this single CN. */
  readonly commonName: string;
  readonly subject?: never;
}

interface SubjectByName {
  /** A whole subject name, e.g. another certificate's `subjectName` to repeat it. */
  readonly subject: x509.Name | x509.JsonName;
  readonly commonName?: never;
}

export type CertificateOptions = (SubjectByCommonName | SubjectByName) & CertificateFields;

export interface CertificateFields {
  /** Default: P-384 for CAs, P-256 for leaves. Ignored when `keyPair` is given. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Certify this existing key instead of generating one. */
  readonly keyPair?: CryptoKeyPair;
  /** Default: five minutes ago, so that small clock differences do not matter. */
  readonly notBefore?: Date;
  /** Default: notBefore + 10 years for CAs, + 2 years for leaves. */
  readonly notAfter?: Date;
  /** Default: keyCertSign + cRLSign for CAs, digitalSignature for leaves. Marked critical. */
  readonly keyUsages?: readonly KeyUsage[];
  /** Names such as 'clientAuth' or dotted OIDs. Default: none. */
  readonly extendedKeyUsages?: readonly (ExtendedKeyUsage | string)[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Hex. Default: 16 random bytes, positive. */
  readonly serialNumber?: string;
  /** Authority Information Access: OCSP responder URL. */
  readonly ocspUrl?: string;
  /** CRL distribution point URL. */
  readonly crlUrl?: string;
  /** Sign with this key instead of the issuer's own (the issuer name stays), to forge certificates in tests. */
  readonly signingKey?: CryptoKey;
}

export type CaOptions = CertificateOptions & {
  /** basicConstraints pathLenConstraint. Default: none for a root, 0 for an intermediate. */
  readonly pathLength?: number;
};

interface CertificateMaterial {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly certificate: {
    readonly pem: string;
    readonly der: Buffer;
    readonly x509: x509.X509Certificate;
  };
  readonly privateKey: {
    /** PKCS#8 */
    readonly pem: string;
    readonly cryptoKey: CryptoKey;
  };
  readonly publicKey: CryptoKey;
}

export interface CertificateAuthority extends CertificateMaterial {
  readonly kind: 'ca';
  /** null for a self-signed root. */
  readonly issuer: CertificateAuthority | null;
}

export interface LeafCertificate extends CertificateMaterial {
  readonly kind: 'leaf';
  readonly issuer: CertificateAuthority;
}

export type IssuedCertificate = CertificateAuthority | LeafCertificate;

const CLOCK_SKEW_MS = 5 * 60 * 1000;
const CA_VALIDITY_YEARS = 10;
const LEAF_VALIDITY_YEARS = 2;
const CA_KEY_USAGES: readonly KeyUsage[] = ['keyCertSign', 'cRLSign'];
const LEAF_KEY_USAGES: readonly KeyUsage[] = ['digitalSignature'];

export async function createRootCa(options: CaOptions): Promise<CertificateAuthority> {
  const keys = await keyPairFor(options, 'P-384');
  const subject = subjectName(options);
  const certificate = await sign({
    options,
    defaultYears: CA_VALIDITY_YEARS,
    subject,
    issuerName: subject,
    publicKey: keys.publicKey,
    signingKey: options.signingKey ?? keys.privateKey,
    extensions: caExtensions(options, options.pathLength),
  });
  return assemble('ca', certificate, keys, null);
}

export async function issueCa(issuer: CertificateAuthority, options: CaOptions): Promise<CertificateAuthority> {
  const keys = await keyPairFor(options, 'P-384');
  const certificate = await sign({
    options,
    defaultYears: CA_VALIDITY_YEARS,
    subject: subjectName(options),
    issuerName: issuer.certificate.x509.subjectName,
    publicKey: keys.publicKey,
    signingKey: options.signingKey ?? issuer.privateKey.cryptoKey,
    extensions: [...caExtensions(options, options.pathLength ?? 0), await authorityKeyIdentifier(issuer)],
  });
  return assemble('ca', certificate, keys, issuer);
}

export async function issueCertificate(issuer: CertificateAuthority, options: CertificateOptions): Promise<LeafCertificate> {
  const keys = await keyPairFor(options, 'P-256');
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false),
    new x509.KeyUsagesExtension(keyUsageFlags(options.keyUsages ?? LEAF_KEY_USAGES), true),
    await authorityKeyIdentifier(issuer),
  ];
  if (options.extendedKeyUsages?.length) {
    extensions.push(new x509.ExtendedKeyUsageExtension(options.extendedKeyUsages.map(extendedKeyUsageOid)));
  }
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value: checkedIp(value) })),
  ];
  if (names.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  const certificate = await sign({
    options,
    defaultYears: LEAF_VALIDITY_YEARS,
    subject: subjectName(options),
    issuerName: issuer.certificate.x509.subjectName,
    publicKey: keys.publicKey,
    signingKey: options.signingKey ?? issuer.privateKey.cryptoKey,
    extensions,
  });
  return assemble('leaf', certificate, keys, issuer);
}

/** The certificate followed by its issuing CAs, without the self-signed root: what a TLS peer sends. */
export function certificateChainPem(certificate: IssuedCertificate): string {
  const pems: string[] = [];
  for (let current: IssuedCertificate | null = certificate; current?.issuer; current = current.issuer) {
    pems.push(current.certificate.pem);
  }
  return pems.length ? pems.join('') : certificate.certificate.pem;
}

export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function subjectName(options: SubjectByCommonName | SubjectByName): x509.Name {
  if (options.subject === undefined) {
    return new x509.Name([{ CN: [options.commonName] }]);
  }
  return options.subject instanceof x509.Name ? options.subject : new x509.Name(options.subject);
}

async function keyPairFor(options: CertificateOptions, defaultAlgorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  if (options.keyPair) {
    return options.keyPair;
  }
  return generateKeyPair(options.keyAlgorithm ?? defaultAlgorithm);
}

function caExtensions(options: CaOptions, pathLength: number | undefined): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(keyUsageFlags(options.keyUsages ?? CA_KEY_USAGES), true),
  ];
}

function authorityKeyIdentifier(issuer: CertificateAuthority): Promise<x509.AuthorityKeyIdentifierExtension> {
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}

interface SignRequest {
  readonly options: CertificateOptions;
  readonly defaultYears: number;
  readonly subject: x509.Name;
  readonly issuerName: x509.Name;
  readonly publicKey: CryptoKey;
  readonly signingKey: CryptoKey;
  readonly extensions: readonly x509.Extension[];
}

async function sign(request: SignRequest): Promise<x509.X509Certificate> {
  const { options } = request;
  const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = options.notAfter ?? addYears(notBefore, request.defaultYears);
  const extensions = [...request.extensions, await x509.SubjectKeyIdentifierExtension.create(request.publicKey)];
  if (options.ocspUrl) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: options.ocspUrl }));
  }
  if (options.crlUrl) {
    extensions.push(new x509.CRLDistributionPointsExtension([options.crlUrl]));
  }
  return x509.X509CertificateGenerator.create({
    serialNumber: checkedSerialNumber(options.serialNumber ?? randomSerialNumber()),
    subject: request.subject,
    issuer: request.issuerName,
    notBefore,
    notAfter,
    publicKey: request.publicKey,
    signingKey: request.signingKey,
    signingAlgorithm: signingAlgorithmFor(request.signingKey),
    extensions,
  });
}

/** Wraps an existing certificate and its key pair, e.g. when read back from files. */
export function assemble(kind: 'ca', certificate: x509.X509Certificate, keys: CryptoKeyPair, issuer: CertificateAuthority | null): CertificateAuthority;
export function assemble(kind: 'leaf', certificate: x509.X509Certificate, keys: CryptoKeyPair, issuer: CertificateAuthority): LeafCertificate;
export function assemble(
  kind: IssuedCertificate['kind'],
  certificate: x509.X509Certificate,
  keys: CryptoKeyPair,
  issuer: CertificateAuthority | null,
): IssuedCertificate {
  const pem = certificate.toString('pem').trimEnd() + '\n';
  return {
    kind,
    keyAlgorithm: keyAlgorithmOfCryptoKey(keys.publicKey),
    certificate: { pem, der: Buffer.from(certificate.rawData), x509: certificate },
    privateKey: {
      pem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
      cryptoKey: keys.privateKey,
    },
    publicKey: keys.publicKey,
    issuer,
  } as IssuedCertificate;
}

function keyUsageFlags(usages: readonly KeyUsage[]): x509.KeyUsageFlags {
  return usages.reduce<number>((flags, usage) => flags | x509.KeyUsageFlags[usage], 0);
}

function extendedKeyUsageOid(usage: string): string {
  if (/^\d+(\.\d+)+$/.test(usage)) {
    return usage;
  }
  if (!(usage in x509.ExtendedKeyUsage)) {
    throw new Error(`Unknown extended key usage: ${usage}`);
  }
  return x509.ExtendedKeyUsage[usage as ExtendedKeyUsage];
}

function checkedIp(value: string): string {
  if (!isIP(value)) {
    throw new Error(`Not an IP address: ${value}`);
  }
  return value;
}

function checkedSerialNumber(hex: string): string {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex) || /^0+$/.test(hex)) {
    throw new Error(`Serial number must be non-zero hex with whole bytes: ${hex}`);
  }
  return hex;
}

function addYears(date: Date, years: number): Date {
  const result = new Date(date);
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}
