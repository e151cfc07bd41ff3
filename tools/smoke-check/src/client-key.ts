import { capsuleTypes } from '@ccs/capsule-types';
import { createECDH, createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';

export interface ClientKey {
  readonly capsuleType: string;
  /** The wire contract's recipient_id for the certificate's public key. */
  readonly recipientId: Buffer;
  /** Fresh ephemeral_key_material of the right shape: a point on the same curve, or RSA-sized random bytes. */
  ephemeralKeyMaterial(): Buffer;
}

export class ClientKeyError extends Error {}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** The client certificate (first in the PEM) and its private key, checked to belong together. */
export function loadClientKey(certificatePem: string, keyPem: string): ClientKey {
  const block = certificatePem.match(PEM_CERTIFICATE)?.[0];
  if (!block) throw new ClientKeyError('--cert holds no PEM certificate');
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(block);
  } catch {
    throw new ClientKeyError('--cert holds a certificate that cannot be parsed');
  }
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    throw new ClientKeyError('--key must hold an unencrypted PEM private key');
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new ClientKeyError('--key is not the private key of the --cert certificate');
  return clientKeyFor(certificate.publicKey);
}

/** The capsule type that recognises this key, as the recipient service will, and key material shaped for it. */
export function clientKeyFor(publicKey: KeyObject): ClientKey {
  for (const name of capsuleTypes.names) {
    const recipientId = capsuleTypes.find(name)?.recipientIdOf(publicKey);
    if (!recipientId) continue;
    const curve = publicKey.asymmetricKeyDetails?.namedCurve;
    const modulusBytes = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    return {
      capsuleType: name,
      recipientId,
      ephemeralKeyMaterial: () => (curve ? createECDH(curve).generateKeys() : randomBytes(modulusBytes)),
    };
  }
  const kind = [publicKey.asymmetricKeyType, publicKey.asymmetricKeyDetails?.namedCurve].filter(Boolean).join(' ');
  throw new ClientKeyError(`the --cert key (${kind}) has no key-server capsule type`);
}
