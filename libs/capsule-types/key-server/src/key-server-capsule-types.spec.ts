import { CapsuleTypeRegistry, CapsuleError, KeyCapsule } from '@ccs/domain';
import { createPublicKey, ECDH, generateKeyPairSync, KeyObject, randomBytes, randomInt } from 'node:crypto';
import { keyServerCapsuleTypes } from './index';

const registry = new CapsuleTypeRegistry(keyServerCapsuleTypes);

const curves = [
  { type: 'ecc_secp256r1', namedCurve: 'P-256', openssl: 'prime256v1', bytes: 65 },
  { type: 'ecc_secp384r1', namedCurve: 'P-384', openssl: 'secp384r1', bytes: 97 },
  { type: 'ecc_secp521r1', namedCurve: 'P-521', openssl: 'secp521r1', bytes: 133 },
] as const;

/** OpenSSL's verdict on an uncompressed point: it decodes the point only if it lies on the curve. */
function opensslAccepts(point: Buffer, curve: string): boolean {
  try {
    ECDH.convertKey(point, curve);
    return true;
  } catch {
    return false;
  }
}

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

describe.each(curves)('$type', ({ type, namedCurve, openssl, bytes }) => {
  const recipient = ecPoint(namedCurve);
  const ephemeral = ecPoint(namedCurve);

  it("agrees with OpenSSL on points of fresh keys and on the same points with one bit changed", () => {
    const verdicts = { accepted: 0, refused: 0 };
    for (let i = 0; i < 100; i++) {
      const { point } = ecPoint(namedCurve);
      const spoiled = Buffer.from(point);
      spoiled[randomInt(1, bytes)] ^= 1 << randomInt(8);
      for (const candidate of [point, spoiled]) {
        const accepted = problemOf({ capsuleType: type, recipientId: candidate, ephemeralKeyMaterial: ephemeral.point }) === undefined;
        expect({ point: candidate.toString('hex'), accepted }).toEqual({ point: candidate.toString('hex'), accepted: opensslAccepts(candidate, openssl) });
        verdicts[accepted ? 'accepted' : 'refused']++;
      }
    }
    expect(verdicts).toEqual({ accepted: 100, refused: 100 });
  });

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

describe('ecc_secp521r1 coordinates', () => {
  it('refuses a coordinate of p or more even where the curve equation holds modulo p, as OpenSSL does', () => {
    // P-521's 66-byte coordinates hold y + p, which solves the equation exactly as y does.
    const p = 2n ** 521n - 1n;
    const { point } = ecPoint('P-521');
    const y = BigInt(`0x${point.subarray(67).toString('hex')}`);
    const shifted = Buffer.concat([point.subarray(0, 67), Buffer.from((y + p).toString(16).padStart(132, '0'), 'hex')]);
    expect(shifted).toHaveLength(133);
    expect(opensslAccepts(shifted, 'secp521r1')).toBe(false);
    expect(problemOf({ capsuleType: 'ecc_secp521r1', recipientId: shifted, ephemeralKeyMaterial: point })).toMatch(/^invalid_capsule: recipient_id /);
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
