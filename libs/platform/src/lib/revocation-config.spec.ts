import { createCrl, generateTestPki, issueServerCertificate, certificateChainPem, writeTestPki } from '@ccs/test-pki';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';

let dir: string;
let env: Record<string, string>;
let crlFile: string;
let fingerprint: string;
let staplingCert: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-revocation-config-'));
  const pki = await generateTestPki({ clientKeys: ['P-256'] });
  const written = writeTestPki(pki, dir);
  env = { CCS_TLS_CERT_FILE: written.server.certificate, CCS_TLS_KEY_FILE: written.server.key, CCS_CLIENT_CA_FILE: written.clientCaBundle };
  crlFile = join(dir, 'issuing.crl');
  writeFileSync(crlFile, (await createCrl(pki.issuingCa)).pem);
  fingerprint = createHash('sha256').update(pki.issuingCa.certificate.der).digest('hex');
  const withAia = await issueServerCertificate(pki.issuingCa, ['localhost'], { ocspUrl: 'http://127.0.0.1:9/ocsp' });
  staplingCert = join(dir, 'stapling.crt');
  writeFileSync(staplingCert, certificateChainPem(withAia));
  writeFileSync(join(dir, 'stapling.key'), withAia.privateKey.pem);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

it('checks revocation by OCSP by default, with bounded waits and caching, and staples nothing', () => {
  const config = loadConfig('recipient', env);
  expect(config.revocation).toMatchObject({
    mode: 'ocsp',
    ocsp: { timeoutMs: 5000, maxAgeMs: 3_600_000, clockSkewMs: 300_000, nonceRequired: false, cacheMaxMs: 300_000 },
    crl: { files: [], urls: [], refreshIntervalMs: 3_600_000 },
  });
  expect(config.ocspStapling).toBeUndefined();
  expect(loadConfig('sender', env).revocation).toBeUndefined();
});

it('reads every revocation setting', () => {
  const config = loadConfig('recipient', {
    ...env,
    CCS_REVOCATION_MODE: 'ocsp-then-crl',
    CCS_OCSP_TIMEOUT: 'PT2S',
    CCS_OCSP_MAX_AGE: 'PT10M',
    CCS_OCSP_CLOCK_SKEW: 'PT30S',
    CCS_OCSP_NONCE_REQUIRED: 'true',
    CCS_OCSP_CACHE_MAX: 'PT0S',
    CCS_OCSP_RESPONDER_OVERRIDES: `${fingerprint.toUpperCase().match(/../g)?.join(':')}=http://ocsp.example/, *=https://fallback.example/ocsp`,
    CCS_CRL_FILES: crlFile,
    CCS_CRL_URLS: 'http://crl.example/a.crl',
    CCS_CRL_REFRESH_INTERVAL: 'PT15M',
  });
  expect(config.revocation).toMatchObject({
    mode: 'ocsp-then-crl',
    ocsp: { timeoutMs: 2000, maxAgeMs: 600_000, clockSkewMs: 30_000, nonceRequired: true, cacheMaxMs: 0 },
    crl: { files: [crlFile], urls: ['http://crl.example/a.crl'], refreshIntervalMs: 900_000, timeoutMs: 2000 },
  });
  expect([...(config.revocation?.ocsp.responderOverrides ?? [])]).toEqual([
    [fingerprint, 'http://ocsp.example/'],
    ['*', 'https://fallback.example/ocsp'],
  ]);
});

it('names each bad revocation variable and never its value', () => {
  const secret = 'secret-host-name';
  const problems = problemsOf(() =>
    loadConfig('recipient', {
      ...env,
      CCS_REVOCATION_MODE: 'sometimes',
      CCS_OCSP_TIMEOUT: 'PT0S',
      CCS_OCSP_RESPONDER_OVERRIDES: `${secret}=ftp://${secret}`,
      CCS_CRL_FILES: join(dir, `${secret}.crl`),
      CCS_CRL_URLS: `file:///${secret}`,
      CCS_OCSP_NONCE_REQUIRED: 'maybe',
    }),
  );
  expect(problems).toEqual([
    'CCS_REVOCATION_MODE must be one of ocsp, crl, ocsp-then-crl, none',
    'CCS_OCSP_TIMEOUT must be longer than zero',
    'CCS_CRL_FILES must list readable CRL files (DER or PEM)',
    'CCS_CRL_URLS must be a comma-separated list of http(s) URLs',
    'CCS_OCSP_NONCE_REQUIRED must be true or false',
    'CCS_OCSP_RESPONDER_OVERRIDES must be a comma-separated list of <CA certificate SHA-256 fingerprint or *>=<http(s) URL>',
  ]);
  expect(problems.join('\n')).not.toContain(secret);
});

it('staples only when enabled, and only for a certificate that names its OCSP responder', () => {
  expect(problemsOf(() => loadConfig('sender', { ...env, CCS_OCSP_STAPLING: 'true' }))).toEqual([
    'CCS_OCSP_STAPLING needs a server certificate with an OCSP responder (AIA) followed by its issuing CA in CCS_TLS_CERT_FILE',
  ]);
  const config = loadConfig('sender', { ...env, CCS_TLS_CERT_FILE: staplingCert, CCS_TLS_KEY_FILE: join(dir, 'stapling.key'), CCS_OCSP_STAPLING: 'true' });
  expect(config.ocspStapling).toMatchObject({ timeoutMs: 5000 });
});
