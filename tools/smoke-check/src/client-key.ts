import { createECDH, createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';

export interface ClientKey {
  readonly capsuleType: string;
  /** The wire contract's recipient_id for the certificate's public key. */
  readonly recipientId: Buffer;
  /** Fresh ephemeral_key_material of the right shape: a point on the same curve, or RSA-sized random bytes. */
  ephemeralKeyMaterial(): Buffer;
}

export class ClientKeyError extends Error {}

const EC_CAPSULE_TYPES: Readonly<Record<string, { readonly capsuleType: string; readonly fieldBytes: number }>> = {
  prime256v1: { capsuleType: 'ecc_secp256r1', fieldBytes: 32 },
  secp384r1: { capsuleType: 'ecc_secp384r1', fieldBytes: 48 },
  secp521r1: { capsuleType: 'ecc_secp521r1', fieldBytes: 66 },
};

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

export function clientKeyFor(publicKey: KeyObject): ClientKey {
  if (publicKey.asymmetricKeyType === 'rsa') {
    const bytes = (publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
    return {
      capsuleType: 'rsa',
      recipientId: publicKey.export({ type: 'pkcs1', format: 'der' }),
      ephemeralKeyMaterial: () => randomBytes(Math.ceil(bytes)),
    };
  }
  const curve = publicKey.asymmetricKeyType === 'ec' ? publicKey.asymmetricKeyDetails?.namedCurve : undefined;
  const ec = curve === undefined ? undefined : EC_CAPSULE_TYPES[curve];
  if (!ec || curve === undefined) {
    const kind = [publicKey.asymmetricKeyType, curve].filter(Boolean).join(' ');
    throw new ClientKeyError(`the --cert key (${kind}) has no key-server capsule type`);
  }
  const { x, y } = publicKey.export({ format: 'jwk' });
  return {
    capsuleType: ec.capsuleType,
    recipientId: Buffer.concat([Buffer.from([4]), coordinate(x, ec.fieldBytes), coordinate(y, ec.fieldBytes)]),
    ephemeralKeyMaterial: () => createECDH(curve).generateKeys(),
  };
}

function coordinate(base64url: string | undefined, length: number): Buffer {
  const bytes = Buffer.from(base64url ?? '', 'base64url');
  return Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}
