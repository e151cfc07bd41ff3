import { createECDH, createPublicKey, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import type { IssuedCertificate } from './issue-certificate';
import { ecCurve, isEcKeyAlgorithm, keyAlgorithmOfKeyObject, rsaModulusBits, type KeyAlgorithm } from './key-algorithm';
import type { CryptoKey } from './x509-provider';

export type CapsuleType = 'ecc_secp256r1' | 'ecc_secp384r1' | 'ecc_secp521r1' | 'rsa';

const CAPSULE_TYPES: Readonly<Record<KeyAlgorithm, CapsuleType>> = {
  'P-256': 'ecc_secp256r1',
  'P-384': 'ecc_secp384r1',
  'P-521': 'ecc_secp521r1',
  'RSA-2048': 'rsa',
  'RSA-3072': 'rsa',
  'RSA-4096': 'rsa',
};

export type PublicKeySource = KeyObject | CryptoKey | X509Certificate | IssuedCertificate;

export function capsuleTypeFor(algorithm: KeyAlgorithm): CapsuleType {
  return CAPSULE_TYPES[algorithm];
}

/**
 * The wire contract's recipient_id for a key: EC keys as the uncompressed point 0x04‖X‖Y,
 * RSA keys as a PKCS#1 RSAPublicKey DER.
 */
export function recipientId(source: PublicKeySource): Buffer {
  const key = publicKeyObject(source);
  const algorithm = keyAlgorithmOfKeyObject(key);
  if (!isEcKeyAlgorithm(algorithm)) {
    return key.export({ type: 'pkcs1', format: 'der' });
  }
  const { fieldBytes } = ecCurve(algorithm);
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) {
    throw new Error('EC public key without coordinates');
  }
  return Buffer.concat([
    Buffer.from([0x04]),
    leftPad(Buffer.from(jwk.x, 'base64url'), fieldBytes),
    leftPad(Buffer.from(jwk.y, 'base64url'), fieldBytes),
  ]);
}

/**
 * Plausible ephemeral_key_material for a capsule addressed to a key of this algorithm: a fresh
 * uncompressed point on the same curve for EC, random bytes of the modulus size for RSA (an
 * encrypted KEK is that long and the server never inspects it).
 */
export function ephemeralKeyMaterial(algorithm: KeyAlgorithm): Buffer {
  if (isEcKeyAlgorithm(algorithm)) {
    const ecdh = createECDH(ecCurve(algorithm).opensslName);
    return ecdh.generateKeys();
  }
  return randomBytes(rsaModulusBits(algorithm) / 8);
}

function publicKeyObject(source: PublicKeySource): KeyObject {
  if (source instanceof X509Certificate) {
    return source.publicKey;
  }
  if (source instanceof KeyObject) {
    return source.type === 'private' ? createPublicKey(source) : source;
  }
  if ('certificate' in source) {
    return KeyObject.from(source.publicKey);
  }
  const key = KeyObject.from(source);
  return key.type === 'private' ? createPublicKey(key) : key;
}

function leftPad(bytes: Buffer, length: number): Buffer {
  if (bytes.length > length) {
    throw new Error(`EC coordinate longer than ${length} bytes`);
  }
  return Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}
