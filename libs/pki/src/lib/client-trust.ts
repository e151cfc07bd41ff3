import { LRUCache } from 'lru-cache';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { ClientCertificateResult, ClientIdentity, identityOf } from './client-identity';
import { CrlStore } from './crl-store';
import { extendedKeyUsageOf, findIssuer, keyUsageOf, OID, parsedCertificate, SignatureCheck, signatureVerifies } from './der';
import { OcspClient } from './ocsp-client';
import { Clock, indeterminate, RevocationMode, RevocationStatus } from './revocation-status';

const MAX_CHAIN_LENGTH = 6;

function validityViolation(certificate: X509Certificate, now: number): string | undefined {
  if (Date.parse(certificate.validFrom) > now) return 'not yet valid';
  if (Date.parse(certificate.validTo) < now) return 'expired';
  return undefined;
}

/** Why a leaf certificate is unfit for TLS client authentication at any time, or undefined when it is fit. */
function usageViolation(leaf: X509Certificate): string | undefined {
  const parsed = parsedCertificate(leaf);
  const keyUsage = keyUsageOf(parsed);
  // Authentication is a digital signature; a signing-only (nonRepudiation) certificate must not log anyone in.
  if (!keyUsage?.digitalSignature) return 'key usage lacks digitalSignature';
  const extendedKeyUsage = extendedKeyUsageOf(parsed);
  if (extendedKeyUsage && !extendedKeyUsage.includes(OID.clientAuth)) return 'extended key usage lacks clientAuth';
  if (leaf.ca) return 'a CA certificate';
  return undefined;
}

/**
 * The issuer of leaf on a path to one of the trusted CAs, each link checked by signature (a CA that
 * only repeats a trusted name does not qualify), or undefined when there is no such path.
 */
export function trustedIssuerOf(
  leaf: X509Certificate,
  presented: readonly X509Certificate[],
  trusted: readonly X509Certificate[],
  now: number,
  signatureHolds: SignatureCheck = signatureVerifies,
): X509Certificate | undefined {
  const validNow = (c: X509Certificate) => c.ca && !validityViolation(c, now);
  const anchors = trusted.filter(validNow);
  const intermediates = presented.filter(validNow);
  const issuerOf = (c: X509Certificate, candidates: readonly X509Certificate[]) => findIssuer(c, candidates, signatureHolds);
  const direct = issuerOf(leaf, anchors) ?? issuerOf(leaf, intermediates);
  let current = direct;
  for (let depth = 0; depth < MAX_CHAIN_LENGTH; depth++) {
    const link = current;
    if (!link) return undefined;
    if (anchors.some((anchor) => anchor.raw.equals(link.raw))) return direct;
    current = issuerOf(link, anchors) ?? issuerOf(link, intermediates.filter((c) => c !== link));
  }
  return undefined;
}

export interface RevocationCheckers {
  readonly mode: RevocationMode;
  readonly ocsp?: OcspClient;
  readonly crl?: CrlStore;
}

/** Revocation status of leaf by the configured mode; OCSP falls back to CRL only in ocsp-then-crl. */
export async function revocationStatus(checkers: RevocationCheckers, leaf: X509Certificate, issuer: X509Certificate): Promise<RevocationStatus> {
  const viaOcsp = () => checkers.ocsp?.check(leaf, issuer) ?? Promise.resolve(indeterminate('OCSP not configured'));
  const viaCrl = () => checkers.crl?.check(leaf, issuer) ?? Promise.resolve(indeterminate('CRL not configured'));
  switch (checkers.mode) {
    case 'none':
      return { status: 'good' };
    case 'ocsp':
      return viaOcsp();
    case 'crl':
      return viaCrl();
    case 'ocsp-then-crl': {
      const first = await viaOcsp();
      return first.status === 'indeterminate' ? viaCrl() : first;
    }
  }
}

/** Distinct certificates, and signatures, whose outcome one ClientTrust remembers (LRU; a few hundred bytes each). */
const REMEMBERED_CERTIFICATES = 10_000;

/** What never changes about a leaf certificate: it is a function of the certificate's bytes. */
interface LeafFacts {
  readonly usageViolation: string | undefined;
  readonly identity: ClientIdentity;
}

/** Decides whether a client certificate may fetch capsules: chain, policy, then revocation. */
export class ClientTrust {
  private readonly trusted: readonly X509Certificate[];
  // A returning client is neither parsed nor are its chain's signatures checked again: both outcomes
  // depend only on the certificates' bytes (keyed by SHA-256 of the DER). Validity in time and
  // revocation are checked on every request.
  private readonly leaves = new LRUCache<string, LeafFacts>({ max: REMEMBERED_CERTIFICATES });
  private readonly signatures = new LRUCache<string, boolean>({ max: REMEMBERED_CERTIFICATES });
  private readonly rememberedSignature: SignatureCheck = (certificate, issuer) => {
    const key = `${certificate.fingerprint256}<${issuer.fingerprint256}`;
    let holds = this.signatures.get(key);
    if (holds === undefined) this.signatures.set(key, (holds = signatureVerifies(certificate, issuer)));
    return holds;
  };

  constructor(
    trustedCas: readonly X509Certificate[],
    private readonly checkers: RevocationCheckers,
    private readonly clock: Clock = Date.now,
  ) {
    this.trusted = [...trustedCas];
  }

  /** For a TLS connection on which OpenSSL has already verified the chain and the proof of possession. */
  verifyConnection(socket: TLSSocket): Promise<ClientCertificateResult> {
    const leaf = socket.getPeerX509Certificate();
    if (!leaf) return Promise.resolve({ status: 'absent' });
    if (!socket.authorized) return Promise.resolve({ status: 'untrusted', reason: 'chain not verified' });
    return this.verifyCertificate(leaf, presentedChain(leaf));
  }

  async verifyCertificate(leaf: X509Certificate, presented: readonly X509Certificate[] = []): Promise<ClientCertificateResult> {
    const now = this.clock();
    const facts = this.factsOf(leaf);
    const violation = validityViolation(leaf, now) ?? facts.usageViolation;
    if (violation) return { status: 'untrusted', reason: violation };
    const issuer = trustedIssuerOf(leaf, presented, this.trusted, now, this.rememberedSignature);
    if (!issuer) return { status: 'untrusted', reason: 'no path to a trusted CA' };
    const { identity } = facts;
    const revocation = await revocationStatus(this.checkers, leaf, issuer);
    switch (revocation.status) {
      case 'good':
        return { status: 'authenticated', identity };
      case 'revoked':
      case 'unknown':
        return { status: 'revoked', identity, revocation: revocation.status };
      case 'indeterminate':
        return { status: 'indeterminate', identity, reason: revocation.reason };
    }
  }

  private factsOf(leaf: X509Certificate): LeafFacts {
    const key = leaf.fingerprint256;
    let facts = this.leaves.get(key);
    if (!facts) this.leaves.set(key, (facts = { usageViolation: usageViolation(leaf), identity: identityOf(leaf) }));
    return facts;
  }
}

// The certificates the client sent above its leaf, as OpenSSL already parsed them: no conversion to
// plain objects and back, which cost a tenth of a new connection's CPU.
function presentedChain(leaf: X509Certificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>([leaf.fingerprint256]);
  for (let current = leaf.issuerCertificate; current && !seen.has(current.fingerprint256); current = current.issuerCertificate) {
    seen.add(current.fingerprint256);
    chain.push(current);
  }
  return chain;
}
