import { generateTestPki, writeTestPki } from '@ccs/test-pki';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, loadDatabaseConfig } from './config';

let dir: string;
let files: { cert: string; key: string; ca: string; otherKey: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-config-'));
  const pki = await generateTestPki({ clientKeys: ['P-256'] });
  const written = writeTestPki(pki, dir);
  files = { cert: written.server.certificate, key: written.server.key, ca: written.clientCaBundle, otherKey: written.clients['P-256'].key };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recipientEnv = () => ({ CCS_TLS_CERT_FILE: files.cert, CCS_TLS_KEY_FILE: files.key, CCS_CLIENT_CA_FILE: files.ca });

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig('recipient', recipientEnv());
    expect(config).toMatchObject({
      port: 8444,
      database: { url: 'sqlite:data/ccs.sqlite', poolSize: 10, migrateOnStart: true },
      bodyLimitBytes: 16384,
      purge: { intervalMs: 300_000, batchSize: undefined },
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1000 },
      log: { level: 'info', pretty: false },
    });
    expect(config.expiryPolicy.defaultLifetime).toMatchObject({ days: 1095 });
    expect(config.expiryPolicy.maxLifetime).toMatchObject({ days: 1825 });
    expect(loadConfig('sender', recipientEnv()).port).toBe(8443);
  });

  it('leaves the purge batch size to the database unless CCS_PURGE_BATCH_SIZE sets it', () => {
    const purgeOn = (env: Record<string, string>) => loadConfig('recipient', { ...recipientEnv(), ...env }).purge?.batchSize;
    expect(purgeOn({ CCS_DATABASE_URL: 'postgres://ccs@db/ccs' })).toBeUndefined();
    expect(purgeOn({ CCS_DATABASE_URL: 'sqlite:/var/lib/ccs/ccs.sqlite' })).toBeUndefined();
    expect(purgeOn({ CCS_DATABASE_URL: 'sqlite:/var/lib/ccs/ccs.sqlite', CCS_PURGE_BATCH_SIZE: '500' })).toBe(500);
    expect(problemsOf(() => loadConfig('recipient', { ...recipientEnv(), CCS_PURGE_BATCH_SIZE: '0' }))).toEqual([
      'CCS_PURGE_BATCH_SIZE must be a whole number from 1 to 100000',
    ]);
  });

  it('reads every setting it documents', () => {
    const config = loadConfig('sender', {
      ...recipientEnv(),
      CCS_SENDER_PORT: '9443',
      CCS_DATABASE_URL: 'postgres://ccs@db/ccs',
      CCS_DATABASE_MIGRATE: 'false',
      CCS_CAPSULE_DEFAULT_TTL: 'P30D',
      CCS_CAPSULE_MAX_TTL: 'P1Y',
      CCS_PURGE_INTERVAL: 'PT0S',
      CCS_MAX_BODY_BYTES: '4096',
      CCS_REQUEST_TIMEOUT: 'PT1M',
    });
    expect(config).toMatchObject({ port: 9443, database: { url: 'postgres://ccs@db/ccs', migrateOnStart: false }, purge: undefined, bodyLimitBytes: 4096 });
    expect(config.http.requestTimeoutMs).toBe(60_000);
    expect(config.expiryPolicy.maxLifetime).toMatchObject({ years: 1 });
  });

  it('names every bad variable with its rule, and never its value', () => {
    const secret = 'hunter2-secret';
    const problems = problemsOf(() =>
      loadConfig('recipient', {
        CCS_RECIPIENT_PORT: '70000',
        CCS_DATABASE_URL: `mysql://ccs:${secret}@db/ccs`,
        CCS_TLS_CERT_FILE: join(dir, 'missing.crt'),
        CCS_TLS_KEY_FILE: files.key,
        CCS_CAPSULE_DEFAULT_TTL: `P${secret}`,
        CCS_LOG_LEVEL: 'loud',
        CCS_DATABASE_MIGRATE: 'yes',
      }),
    );
    expect(problems).toEqual([
      'CCS_RECIPIENT_PORT must be a whole number from 1 to 65535',
      'CCS_DATABASE_URL must be sqlite:<path> or postgres://…',
      'CCS_DATABASE_MIGRATE must be true or false',
      'CCS_TLS_CERT_FILE must name a readable file',
      'CCS_CLIENT_CA_FILE is required',
      'CCS_CAPSULE_DEFAULT_TTL must be an ISO-8601 duration such as P1095D or PT5M',
      'CCS_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('refuses a key that does not belong to the certificate, and files that are not PEM', () => {
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    expect(problemsOf(() => loadConfig('recipient', { ...recipientEnv(), CCS_TLS_KEY_FILE: files.otherKey }))).toEqual([
      'CCS_TLS_KEY_FILE must hold the private key of the first certificate in CCS_TLS_CERT_FILE',
    ]);
    expect(problemsOf(() => loadConfig('recipient', { ...recipientEnv(), CCS_CLIENT_CA_FILE: join(dir, 'junk.pem') }))).toEqual([
      'CCS_CLIENT_CA_FILE must hold at least one PEM certificate',
    ]);
    expect(problemsOf(() => loadConfig('sender', { ...recipientEnv(), CCS_TLS_KEY_FILE: join(dir, 'junk.pem') }))).toEqual([
      'CCS_TLS_KEY_FILE must hold an unencrypted PEM private key',
    ]);
  });

  it('refuses a default lifetime longer than the maximum', () => {
    expect(problemsOf(() => loadConfig('sender', { ...recipientEnv(), CCS_CAPSULE_DEFAULT_TTL: 'P10Y' }))).toEqual([
      'CCS_CAPSULE_DEFAULT_TTL must not be longer than CCS_CAPSULE_MAX_TTL',
    ]);
  });

  it('reads only the database settings for tools', () => {
    expect(loadDatabaseConfig({ CCS_DATABASE_URL: 'sqlite:/tmp/x.sqlite' })).toEqual({ url: 'sqlite:/tmp/x.sqlite', poolSize: 10, migrateOnStart: true });
  });
});
