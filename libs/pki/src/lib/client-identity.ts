import { createHash, KeyObject, X509Certificate } from 'node:crypto';

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
