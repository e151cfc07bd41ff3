import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

/**
 * What the servers must prove: a certificate in their chain has one of these SPKI SHA-256 pins, or
 * (for pins given as PEM files) their chain leads to one of these certificates.
 */
export interface ServerPin {
  readonly spkiSha256: ReadonlySet<string>;
  /** PEM trust anchors from pin files; empty when only hashes were given. */
  readonly anchors: readonly string[];
  readonly description: string;
}

export class PinError extends Error {}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function spkiSha256(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** Each value is a base64 SHA-256 SPKI pin (optionally prefixed `sha256/`) or a PEM file of certificates. */
export function parsePins(values: readonly string[]): ServerPin {
  const hashes = new Set<string>();
  const anchors: string[] = [];
  for (const value of values) {
    const hash = value.replace(/^sha256\//, '');
    if (/^[A-Za-z0-9+/]{43}=$/.test(hash) && Buffer.from(hash, 'base64').length === 32) {
      hashes.add(hash);
      continue;
    }
    let pem: string;
    try {
      pem = readFileSync(value, 'utf8');
    } catch {
      throw new PinError(`--pin ${value}: neither a base64 SHA-256 SPKI pin nor a readable PEM file`);
    }
    const certificates = (pem.match(PEM_CERTIFICATE) ?? []).map((block) => {
      try {
        return new X509Certificate(block);
      } catch {
        throw new PinError(`--pin ${value}: holds a certificate that cannot be parsed`);
      }
    });
    if (certificates.length === 0) throw new PinError(`--pin ${value}: holds no PEM certificate`);
    for (const certificate of certificates) {
      hashes.add(spkiSha256(certificate));
      anchors.push(certificate.toString());
    }
  }
  if (hashes.size === 0) throw new PinError('--pin is required');
  return { spkiSha256: hashes, anchors, description: values.join(', ') };
}

/** Why this TLS connection must not be trusted, or undefined when the server proved its identity. */
export function pinProblem(socket: TLSSocket, host: string, pin: ServerPin, now = new Date()): string | undefined {
  const leaf = socket.getPeerCertificate(true);
  if (!leaf?.raw) return `${host} sent no certificate`;
  const leafX509 = new X509Certificate(leaf.raw);
  if (checkServerIdentity(host, leaf) !== undefined) return `the certificate of ${host} does not name ${host}`;
  if (new Date(leafX509.validFrom) > now || new Date(leafX509.validTo) < now) {
    return `the certificate of ${host} is not valid now (${leafX509.validFrom} to ${leafX509.validTo})`;
  }
  const chainedToAnchor = pin.anchors.length > 0 && socket.authorized;
  const pinned = presentedChain(leaf).some((certificate) => pin.spkiSha256.has(spkiSha256(certificate)));
  if (chainedToAnchor || pinned) return undefined;
  return `pin mismatch: ${host} presented key ${spkiSha256(leafX509)}, which is not pinned by ${pin.description}`;
}

function presentedChain(leaf: PeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let current: PeerCertificate | undefined = leaf; current?.raw; current = (current as { issuerCertificate?: PeerCertificate }).issuerCertificate) {
    const key = current.raw.toString('base64');
    if (seen.has(key)) break;
    seen.add(key);
    chain.push(new X509Certificate(current.raw));
  }
  return chain;
}
