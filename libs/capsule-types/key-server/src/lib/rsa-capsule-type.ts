import { CapsuleType, KeyCapsule } from '@ccs/domain';
import { createPublicKey, KeyObject } from 'node:crypto';

function rsaPublicKeyDer(key: KeyObject): Buffer {
  return key.export({ type: 'pkcs1', format: 'der' });
}

/**
 * recipient_id is a PKCS#1 RSAPublicKey (RFC 8017 A.1.1), not a SubjectPublicKeyInfo; the key
 * material is the KEK encrypted to that key and is opaque to the server.
 */
export const rsa: CapsuleType = {
  name: 'rsa',
  validate(capsule: KeyCapsule) {
    try {
      const key = createPublicKey({ key: capsule.recipientId, format: 'der', type: 'pkcs1' });
      // Only the canonical DER can ever equal the encoding of a client certificate's key.
      if (rsaPublicKeyDer(key).equals(capsule.recipientId)) return undefined;
    } catch {
      // falls through to the problem below
    }
    return 'recipient_id must be a DER-encoded PKCS#1 RSAPublicKey';
  },
  recipientIdOf(publicKey: KeyObject) {
    return publicKey.asymmetricKeyType === 'rsa' ? rsaPublicKeyDer(publicKey) : undefined;
  },
};
