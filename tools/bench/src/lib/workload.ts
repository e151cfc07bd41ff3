import { capsuleTypeFor, ephemeralKeyMaterial, generateTestPki, recipientId, TestPki, writeTestPki, type TestPkiFiles } from '@ccs/test-pki';

export const OPERATIONS = ['ec-post', 'rsa-post', 'ec-get', 'rsa-get'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Mix = 'mixed' | Operation;
export const MIXES: readonly Mix[] = ['mixed', ...OPERATIONS];

/** The client keys of the load: an ID-card-like P-384 key and an RSA key. */
export const EC_CLIENT = 'P-384';
export const RSA_CLIENT = 'RSA-2048';
export type BenchClientKey = typeof EC_CLIENT | typeof RSA_CLIENT;

export interface Credentials {
  readonly cert: string;
  readonly key: string;
}

export interface BenchPki {
  readonly pki: TestPki<BenchClientKey>;
  readonly files: TestPkiFiles<BenchClientKey>;
  /** The CA that the server certificates chain to. */
  readonly ca: string;
  readonly clients: Readonly<Record<BenchClientKey, Credentials>>;
}

export async function createBenchPki(dir: string): Promise<BenchPki> {
  const pki = await generateTestPki({ clientKeys: [EC_CLIENT, RSA_CLIENT] });
  const files = writeTestPki(pki, dir);
  const credentials = (key: BenchClientKey): Credentials => ({ cert: pki.clients[key].certificate.pem, key: pki.clients[key].privateKey.pem });
  return { pki, files, ca: pki.rootCa.certificate.pem, clients: { [EC_CLIENT]: credentials(EC_CLIENT), [RSA_CLIENT]: credentials(RSA_CLIENT) } };
}

export function clientKeyOf(operation: Operation): BenchClientKey {
  return operation.startsWith('ec-') ? EC_CLIENT : RSA_CLIENT;
}

export function isPost(operation: Operation): boolean {
  return operation.endsWith('-post');
}

export function operationsOf(mix: Mix): readonly Operation[] {
  return mix === 'mixed' ? OPERATIONS : [mix];
}

/** The JSON bodies POSTed: a few distinct capsules per key, as libcdoc writes them (compact JSON). */
export function capsuleBodies(pki: TestPki<BenchClientKey>, key: BenchClientKey, count = 16): Buffer[] {
  return Array.from({ length: count }, () =>
    Buffer.from(
      JSON.stringify({
        capsule_type: capsuleTypeFor(key),
        ephemeral_key_material: ephemeralKeyMaterial(key).toString('base64'),
        recipient_id: recipientId(pki.clients[key]).toString('base64'),
      }),
    ),
  );
}
