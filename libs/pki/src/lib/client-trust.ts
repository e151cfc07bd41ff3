import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { ClientCertificateResult, identityOf } from './client-identity';
import { CrlStore } from './crl-store';
import { extendedKeyUsageOf, findIssuer, keyUsageOf, OID, parsedCertificate } from './der';
import { OcspClient } from './ocsp-client';
import { Clock, indeterminate, RevocationMode, RevocationStatus } from './revocation-status';

const MAX_CHAIN_LENGTH = 6;

/** Why a leaf certificate is unfit for TLS client authentication now, or undefined when it is fit. */
export function certificatePolicyViolation(leaf: X509Certificate, now: number): string | undefined {
  if (Date.parse(leaf.validFrom) > now) return 'not yet valid';
  if (Date.parse(leaf.validTo) < now) return 'expired';
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
): X509Certificate | undefined {
  const validNow = (c: X509Certificate) => c.ca && Date.parse(c.validFrom) <= now && Date.parse(c.validTo) >= now;
  const anchors = trusted.filter(validNow);
  const intermediates = presented.filter(validNow);
  const direct = findIssuer(leaf, anchors) ?? findIssuer(leaf, intermediates);
  let current = direct;
  for (let depth = 0; depth < MAX_CHAIN_LENGTH; depth++) {
    const link = current;
    if (!link) return undefined;
    if (anchors.some((anchor) => anchor.raw.equals(link.raw))) return direct;
    current = findIssuer(link, anchors) ?? findIssuer(link, intermediates.filter((c) => c !== link));
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

/** Decides whether a client certificate may fetch capsules: chain, policy, then revocation. */
export class ClientTrust {
  private readonly trusted: readonly X509Certificate[];

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
    const violation = certificatePolicyViolation(leaf, now);
    if (violation) return { status: 'untrusted', reason: violation };
    const issuer = trustedIssuerOf(leaf, presented, this.trusted, now);
    if (!issuer) return { status: 'untrusted', reason: 'no path to a trusted CA' };
    const identity = identityOf(leaf);
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
