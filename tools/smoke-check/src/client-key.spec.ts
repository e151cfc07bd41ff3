import { capsuleTypeFor, generateTestPki, KEY_ALGORITHMS, recipientId, type TestPki } from '@ccs/test-pki';
import { createECDH, generateKeyPairSync } from 'node:crypto';
import { ClientKeyError, clientKeyFor, loadClientKey } from './client-key';

let pki: TestPki;

beforeAll(async () => {
  pki = await generateTestPki();
}, 120_000);

describe('loadClientKey', () => {
  it.each(KEY_ALGORITHMS)('derives recipient_id and capsule_type of a %s certificate as the wire contract says', (algorithm) => {
    const client = pki.clients[algorithm];
    const key = loadClientKey(client.certificate.pem, client.privateKey.pem);
    expect(key.capsuleType).toBe(capsuleTypeFor(algorithm));
    expect(key.recipientId).toEqual(recipientId(client));
  });

  it.each(['P-256', 'P-384', 'P-521'] as const)('makes %s ephemeral key material a fresh point on the same curve', (algorithm) => {
    const key = loadClientKey(pki.clients[algorithm].certificate.pem, pki.clients[algorithm].privateKey.pem);
    const [first, second] = [key.ephemeralKeyMaterial(), key.ephemeralKeyMaterial()];
    expect(first.length).toBe(key.recipientId.length);
    expect(first.equals(second)).toBe(false);
    const curve = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[algorithm];
    const ecdh = createECDH(curve);
    ecdh.generateKeys();
    // computeSecret refuses a point that is not on the curve.
    expect(() => ecdh.computeSecret(first)).not.toThrow();
    const offCurve = Buffer.from(first);
    offCurve[offCurve.length - 1] ^= 1;
    expect(() => ecdh.computeSecret(offCurve)).toThrow();
  });

  it('makes RSA ephemeral key material random bytes as long as the modulus', () => {
    const key = loadClientKey(pki.clients['RSA-3072'].certificate.pem, pki.clients['RSA-3072'].privateKey.pem);
    const [first, second] = [key.ephemeralKeyMaterial(), key.ephemeralKeyMaterial()];
    expect(first.length).toBe(384);
    expect(first.equals(second)).toBe(false);
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(() => loadClientKey(pki.clients['P-384'].certificate.pem, pki.clients['P-256'].privateKey.pem)).toThrow(
      new ClientKeyError('--key is not the private key of the --cert certificate'),
    );
  });

  it('refuses files that are not what they should be', () => {
    expect(() => loadClientKey('', pki.clients['P-384'].privateKey.pem)).toThrow('--cert holds no PEM certificate');
    expect(() => loadClientKey(pki.clients['P-384'].certificate.pem, pki.clients['P-384'].certificate.pem)).toThrow(
      '--key must hold an unencrypted PEM private key',
    );
  });

  it('refuses keys without a key-server capsule type', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => clientKeyFor(publicKey)).toThrow('the --cert key (ed25519) has no key-server capsule type');
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    expect(() => clientKeyFor(k1)).toThrow('the --cert key (ec secp256k1) has no key-server capsule type');
  });
});
