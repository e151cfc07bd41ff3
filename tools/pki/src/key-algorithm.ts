import type { KeyObject } from 'node:crypto';
import { webcrypto, type CryptoKey, type CryptoKeyPair } from './x509-provider';

export const KEY_ALGORITHMS = ['P-256', 'P-384', 'P-521', 'RSA-2048', 'RSA-3072', 'RSA-4096'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];
export type EcKeyAlgorithm = Extract<KeyAlgorithm, `P-${string}`>;
export type RsaKeyAlgorithm = Extract<KeyAlgorithm, `RSA-${string}`>;

interface EcCurve {
  readonly hash: string;
  readonly fieldBytes: number;
  readonly opensslName: string;
}

const EC_CURVES: Readonly<Record<EcKeyAlgorithm, EcCurve>> = {
  'P-256': { hash: 'SHA-256', fieldBytes: 32, opensslName: 'prime256v1' },
  'P-384': { hash: 'SHA-384', fieldBytes: 48, opensslName: 'secp384r1' },
  'P-521': { hash: 'SHA-512', fieldBytes: 66, opensslName: 'secp521r1' },
};

const RSA_HASH = 'SHA-256';
const RSA_PUBLIC_EXPONENT = new Uint8Array([0x01, 0x00, 0x01]);

export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

export function isEcKeyAlgorithm(algorithm: KeyAlgorithm): algorithm is EcKeyAlgorithm {
  return algorithm in EC_CURVES;
}

export function ecCurve(algorithm: EcKeyAlgorithm): EcCurve {
  return EC_CURVES[algorithm];
}

export function rsaModulusBits(algorithm: RsaKeyAlgorithm): number {
  return Number(algorithm.slice('RSA-'.length));
}

/** The WebCrypto parameters for importing or generating a key of this algorithm. */
export function webCryptoKeyParams(algorithm: KeyAlgorithm): webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams {
  return isEcKeyAlgorithm(algorithm)
    ? { name: 'ECDSA', namedCurve: algorithm }
    : { name: 'RSASSA-PKCS1-v1_5', hash: RSA_HASH };
}

export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams = isEcKeyAlgorithm(algorithm)
    ? { name: 'ECDSA', namedCurve: algorithm }
    : { name: 'RSASSA-PKCS1-v1_5', hash: RSA_HASH, modulusLength: rsaModulusBits(algorithm), publicExponent: RSA_PUBLIC_EXPONENT };
  return webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
}

/** Which of our algorithms a WebCrypto key belongs to. */
export function keyAlgorithmOfCryptoKey(key: CryptoKey): KeyAlgorithm {
  const algorithm = key.algorithm as Partial<webcrypto.EcKeyAlgorithm & webcrypto.RsaHashedKeyAlgorithm>;
  const candidate = algorithm.namedCurve ?? (algorithm.modulusLength === undefined ? '' : `RSA-${algorithm.modulusLength}`);
  if (!isKeyAlgorithm(candidate)) {
    throw new Error(`Unsupported key algorithm ${key.algorithm.name} ${candidate}`);
  }
  return candidate;
}

/** Which of our algorithms a node:crypto key belongs to. */
export function keyAlgorithmOfKeyObject(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  let candidate = '';
  if (key.asymmetricKeyType === 'ec') {
    const curve = Object.entries(EC_CURVES).find(([, c]) => c.opensslName === details.namedCurve);
    candidate = curve?.[0] ?? '';
  } else if (key.asymmetricKeyType === 'rsa') {
    candidate = `RSA-${details.modulusLength}`;
  }
  if (!isKeyAlgorithm(candidate)) {
    throw new Error(`Unsupported key type ${key.asymmetricKeyType} ${details.namedCurve ?? details.modulusLength ?? ''}`);
  }
  return candidate;
}

/** Signature parameters for a signing key: ECDSA hash follows the curve size, RSA keys carry their hash. */
export function signingAlgorithmFor(key: CryptoKey): webcrypto.EcdsaParams | webcrypto.Algorithm {
  const algorithm = keyAlgorithmOfCryptoKey(key);
  return isEcKeyAlgorithm(algorithm) ? { name: 'ECDSA', hash: EC_CURVES[algorithm].hash } : { name: 'RSASSA-PKCS1-v1_5' };
}
