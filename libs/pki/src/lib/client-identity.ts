import { createHash, KeyObject, X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';

/** What the recipient service knows about an authenticated client; nothing personal from the subject. */
export interface ClientIdentity {
  readonly publicKey: KeyObject;
  /** Hex serial of the leaf certificate, for logs. */
  readonly serialNumber: string;
  /** SHA-256 of the leaf's SubjectPublicKeyInfo, base64url, for logs. */
  readonly keyFingerprint: string;
}

export type ClientCertificateResult =
  | { readonly status: 'authenticated'; readonly identity: ClientIdentity }
  | { readonly status: 'absent' }
  | { readonly status: 'untrusted'; readonly reason?: string }
  /** Revoked, or unknown to its CA's responder: answered like an untrusted certificate. */
  | { readonly status: 'revoked'; readonly identity: ClientIdentity; readonly revocation: 'revoked' | 'unknown' }
  /** The revocation status could not be established: no capsule is served (fail closed). */
  | { readonly status: 'indeterminate'; readonly identity: ClientIdentity; readonly reason: string };

export function identityOf(leaf: X509Certificate): ClientIdentity {
  const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  return {
    publicKey: leaf.publicKey,
    serialNumber: leaf.serialNumber.toLowerCase(),
    keyFingerprint: createHash('sha256').update(spki).digest('base64url'),
  };
}

/**
 * The client certificate of a TLS connection. OpenSSL has already verified the chain against the
 * configured CAs (partial chains allowed, so an issuing CA alone can be trusted) and the client's
 * proof of possession of the key; this reads the outcome.
 */
export function clientCertificateOf(socket: TLSSocket): ClientCertificateResult {
  const peer = socket.getPeerX509Certificate();
  if (!peer) return { status: 'absent' };
  if (!socket.authorized) return { status: 'untrusted' };
  return { status: 'authenticated', identity: identityOf(peer) };
}
