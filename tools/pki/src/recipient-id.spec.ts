import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { isEcKeyAlgorithm, type EcKeyAlgorithm } from './key-algorithm';
import { capsuleTypeFor, ephemeralKeyMaterial, recipientId } from './recipient-id';
import { generateTestPki, type TestPki } from './test-pki';

const EC_POINT_BYTES: Record<EcKeyAlgorithm, number> = { 'P-256': 65, 'P-384': 97, 'P-521': 133 };

function ecPublicKeyFromPoint(point: Buffer, algorithm: EcKeyAlgorithm): KeyObject {
  const size = (point.length - 1) / 2;
  return createPublicKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: algorithm,
      x: point.subarray(1, 1 + size).toString('base64url'),
      y: point.subarray(1 + size).toString('base64url'),
    },
  });
}

describe('recipientId', () => {
  const algorithms = ['P-256', 'P-384', 'P-521', 'RSA-2048'] as const;
  let pki: TestPki<(typeof algorithms)[number]>;

  beforeAll(async () => {
    pki = await generateTestPki({ clientKeys: algorithms });
  }, 30_000);

  it.each(['P-256', 'P-384', 'P-521'] as const)('is the uncompressed point of a %s key', (algorithm) => {
    const client = pki.clients[algorithm];
    const id = recipientId(client);
    expect(id.length).toBe(EC_POINT_BYTES[algorithm]);
    expect(id[0]).toBe(0x04);
    const certificateKey = new X509Certificate(client.certificate.pem).publicKey;
    expect(ecPublicKeyFromPoint(id, algorithm).equals(certificateKey)).toBe(true);
  });

  it('is a PKCS#1 RSAPublicKey for an RSA key, not an SPKI', () => {
    const client = pki.clients['RSA-2048'];
    const id = recipientId(client);
    const certificateKey = new X509Certificate(client.certificate.pem).publicKey;
    expect(createPublicKey({ key: id, format: 'der', type: 'pkcs1' }).equals(certificateKey)).toBe(true);
    expect(id.equals(certificateKey.export({ type: 'spki', format: 'der' }))).toBe(false);
    expect(() => createPublicKey({ key: id, format: 'der', type: 'spki' })).toThrow();
  });

  it('gives the same bytes from the certificate, the public key, the private key and the CryptoKey', () => {
    for (const algorithm of algorithms) {
      const client = pki.clients[algorithm];
      const expected = recipientId(client);
      expect(recipientId(new X509Certificate(client.certificate.pem))).toEqual(expected);
      expect(recipientId(createPrivateKey(client.privateKey.pem))).toEqual(expected);
      expect(recipientId(createPublicKey(client.privateKey.pem))).toEqual(expected);
      expect(recipientId(client.publicKey)).toEqual(expected);
      expect(recipientId(client.privateKey.cryptoKey)).toEqual(expected);
    }
  });

  it('tells different keys apart', () => {
    const ids = Object.values(pki.clients).map((client) => recipientId(client).toString('hex'));
    expect(new Set(ids).size).toBe(algorithms.length);
  });
});

describe('capsuleTypeFor', () => {
  it('names the capsule type of each key algorithm as the wire contract does', () => {
    expect(capsuleTypeFor('P-256')).toBe('ecc_secp256r1');
    expect(capsuleTypeFor('P-384')).toBe('ecc_secp384r1');
    expect(capsuleTypeFor('P-521')).toBe('ecc_secp521r1');
    expect(capsuleTypeFor('RSA-2048')).toBe('rsa');
    expect(capsuleTypeFor('RSA-4096')).toBe('rsa');
  });
});

describe('ephemeralKeyMaterial', () => {
  it.each(['P-256', 'P-384', 'P-521'] as const)('is a fresh point on the %s curve', (algorithm) => {
    const first = ephemeralKeyMaterial(algorithm);
    expect(first.length).toBe(EC_POINT_BYTES[algorithm]);
    expect(first[0]).toBe(0x04);
    expect(() => ecPublicKeyFromPoint(first, algorithm)).not.toThrow();
    expect(ephemeralKeyMaterial(algorithm).equals(first)).toBe(false);
  });

  it('is detectably off the curve once a byte is changed, so the check above means something', () => {
    const point = ephemeralKeyMaterial('P-256');
    point[point.length - 1] ^= 0x01;
    expect(() => ecPublicKeyFromPoint(point, 'P-256')).toThrow();
  });

  it.each(['RSA-2048', 'RSA-3072', 'RSA-4096'] as const)('is random bytes as long as an %s modulus', (algorithm) => {
    expect(isEcKeyAlgorithm(algorithm)).toBe(false);
    const material = ephemeralKeyMaterial(algorithm);
    expect(material.length).toBe(Number(algorithm.slice(4)) / 8);
    expect(ephemeralKeyMaterial(algorithm).equals(material)).toBe(false);
  });
});
