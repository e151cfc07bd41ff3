import { CapsuleTypeRegistry, CapsuleError, KeyCapsule } from '@ccs/domain';
import { createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { keyServerCapsuleTypes } from './index';

const registry = new CapsuleTypeRegistry(keyServerCapsuleTypes);

const curves = [
  { type: 'ecc_secp256r1', namedCurve: 'P-256', bytes: 65 },
  { type: 'ecc_secp384r1', namedCurve: 'P-384', bytes: 97 },
  { type: 'ecc_secp521r1', namedCurve: 'P-521', bytes: 133 },
] as const;

function ecPoint(namedCurve: string): { key: KeyObject; point: Buffer } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const size = { 'P-256': 65, 'P-384': 97, 'P-521': 133 }[namedCurve] ?? 0;
  // An EC SubjectPublicKeyInfo ends with the uncompressed point itself.
  return { key: publicKey, point: spki.subarray(spki.length - size) };
}

function rsaKey(bits = 1024): { key: KeyObject; der: Buffer } {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { key: publicKey, der: publicKey.export({ type: 'pkcs1', format: 'der' }) };
}

function problemOf(capsule: KeyCapsule): string | undefined {
  try {
    registry.validate(capsule);
    return undefined;
  } catch (e) {
    return e instanceof CapsuleError ? `${e.code}: ${e.message}` : String(e);
  }
}

describe.each(curves)('$type', ({ type, namedCurve, bytes }) => {
  const recipient = ecPoint(namedCurve);
  const ephemeral = ecPoint(namedCurve);

  it('accepts two points on the curve', () => {
    expect(recipient.point).toHaveLength(bytes);
    expect(problemOf({ capsuleType: type, recipientId: recipient.point, ephemeralKeyMaterial: ephemeral.point })).toBeUndefined();
  });

  it.each([
    ['recipient_id', 'a point off the curve', (p: Buffer) => Buffer.concat([p.subarray(0, -1), Buffer.of(p[p.length - 1] ^ 1)])],
    ['recipient_id', 'a compressed point', (p: Buffer) => Buffer.concat([Buffer.of(0x02 | (p[p.length - 1] & 1)), p.subarray(1, (p.length + 1) / 2)])],
    ['recipient_id', 'a wrong prefix', (p: Buffer) => Buffer.concat([Buffer.of(0x05), p.subarray(1)])],
    ['recipient_id', 'a truncated point', (p: Buffer) => p.subarray(0, -1)],
    ['ephemeral_key_material', 'a point off the curve', (p: Buffer) => Buffer.concat([p.subarray(0, -1), Buffer.of(p[p.length - 1] ^ 1)])],
    ['ephemeral_key_material', 'random bytes', (p: Buffer) => randomBytes(p.length)],
  ])('refuses %s as %s, naming the field', (field, _what, spoil) => {
    const capsule =
      field === 'recipient_id'
        ? { capsuleType: type, recipientId: spoil(recipient.point), ephemeralKeyMaterial: ephemeral.point }
        : { capsuleType: type, recipientId: recipient.point, ephemeralKeyMaterial: spoil(ephemeral.point) };
    expect(problemOf(capsule)).toMatch(new RegExp(`^invalid_capsule: ${field} `));
  });

  it('refuses a point of another curve', () => {
    const other = ecPoint(namedCurve === 'P-256' ? 'P-384' : 'P-256');
    expect(problemOf({ capsuleType: type, recipientId: other.point, ephemeralKeyMaterial: ephemeral.point })).toMatch(/recipient_id/);
  });

  it('recognises the recipient by the client key, byte for byte, for many keys', () => {
    const capsuleType = registry.find(type);
    for (let i = 0; i < 64; i++) {
      const { key, point } = ecPoint(namedCurve);
      expect(capsuleType?.recipientIdOf(key)).toEqual(point);
    }
  });

  it('does not recognise keys of other curves or algorithms', () => {
    const capsuleType = registry.find(type);
    expect(capsuleType?.recipientIdOf(ecPoint(namedCurve === 'P-521' ? 'P-384' : 'P-521').key)).toBeUndefined();
    expect(capsuleType?.recipientIdOf(rsaKey().key)).toBeUndefined();
  });
});

describe('rsa', () => {
  const recipient = rsaKey();

  it('accepts an RSAPublicKey with opaque key material of up to 2100 bytes', () => {
    expect(problemOf({ capsuleType: 'rsa', recipientId: recipient.der, ephemeralKeyMaterial: randomBytes(2100) })).toBeUndefined();
    expect(problemOf({ capsuleType: 'rsa', recipientId: recipient.der, ephemeralKeyMaterial: randomBytes(1) })).toBeUndefined();
  });

  it('accepts a 16384-bit key, the largest the API admits', () => {
    // Generating a real 16384-bit key takes minutes; a public key needs only a modulus of that size.
    const modulus = randomBytes(2048);
    modulus[0] |= 0x80;
    modulus[modulus.length - 1] |= 1;
    const key = createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' }, format: 'jwk' });
    const der = key.export({ type: 'pkcs1', format: 'der' });
    expect(der.length).toBe(2062);
    expect(problemOf({ capsuleType: 'rsa', recipientId: der, ephemeralKeyMaterial: randomBytes(256) })).toBeUndefined();
  });

  it.each([
    ['a SubjectPublicKeyInfo', () => recipient.key.export({ type: 'spki', format: 'der' })],
    ['trailing bytes', () => Buffer.concat([recipient.der, Buffer.of(0)])],
    ['random bytes', () => randomBytes(270)],
    ['an EC point', () => ecPoint('P-384').point],
  ])('refuses %s as recipient_id', (_what, make) => {
    expect(problemOf({ capsuleType: 'rsa', recipientId: make(), ephemeralKeyMaterial: randomBytes(256) })).toBe(
      'invalid_capsule: recipient_id must be a DER-encoded PKCS#1 RSAPublicKey',
    );
  });

  it('refuses empty or oversized key material and a too short or too long recipient_id', () => {
    expect(problemOf({ capsuleType: 'rsa', recipientId: recipient.der, ephemeralKeyMaterial: Buffer.alloc(0) })).toMatch(/^invalid_capsule: ephemeral_key_material must decode to 1\.\.2100 bytes/);
    expect(problemOf({ capsuleType: 'rsa', recipientId: recipient.der, ephemeralKeyMaterial: randomBytes(2101) })).toMatch(/ephemeral_key_material/);
    expect(problemOf({ capsuleType: 'rsa', recipientId: randomBytes(64), ephemeralKeyMaterial: randomBytes(8) })).toMatch(/^invalid_capsule: recipient_id must decode to 65\.\.2100 bytes/);
    expect(problemOf({ capsuleType: 'rsa', recipientId: randomBytes(2101), ephemeralKeyMaterial: randomBytes(8) })).toMatch(/recipient_id must decode/);
  });

  it('recognises the recipient by the PKCS#1 encoding of the client key', () => {
    expect(registry.find('rsa')?.recipientIdOf(recipient.key)).toEqual(recipient.der);
    expect(registry.find('rsa')?.recipientIdOf(ecPoint('P-256').key)).toBeUndefined();
  });
});

it('refuses an unknown capsule_type, listing the known ones', () => {
  expect(problemOf({ capsuleType: 'ecc_secp256k1', recipientId: randomBytes(65), ephemeralKeyMaterial: randomBytes(65) })).toBe(
    'unknown_capsule_type: capsule_type must be one of: ecc_secp256r1, ecc_secp384r1, ecc_secp521r1, rsa',
  );
});
