import { addDuration, Duration, ExpiryPolicy } from '@ccs/domain';
import { CrlOptions, OcspOptions, OcspStapler, OcspStaplerOptions, parseCrl, parsePemCertificates, REVOCATION_MODES, RevocationMode } from '@ccs/pki';
import { createPrivateKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { durationMillis, parseIsoDuration } from './iso-duration';

export type ServiceName = 'sender' | 'recipient';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServiceConfig {
  readonly service: ServiceName;
  readonly host: string | undefined;
  readonly port: number;
  readonly database: {
    readonly url: string;
    readonly poolSize: number;
    readonly migrateOnStart: boolean;
  };
  readonly tls: {
    /** PEM: the server certificate, optionally followed by its chain. */
    readonly cert: Buffer;
    readonly key: KeyObject;
    /** PEM bundle of the CAs whose client certificates the recipient service accepts. */
    readonly clientCa: Buffer | undefined;
  };
  readonly expiryPolicy: ExpiryPolicy;
  readonly bodyLimitBytes: number;
  /** Undefined when this instance does not purge. Without a batch size, the database's own. */
  readonly purge: { readonly intervalMs: number; readonly batchSize: number | undefined } | undefined;
  readonly http: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxConnections: number;
  };
  readonly shutdownGraceMs: number;
  /** The plain-HTTP listener for health, metrics and the OpenAPI document. */
  readonly management: { readonly host: string; readonly port: number; readonly token: string | undefined };
  readonly log: { readonly level: LogLevel; readonly pretty: boolean };
  /** Recipient service only: revocation checking of client certificates. */
  readonly revocation: RevocationConfig | undefined;
  /** Undefined when the service does not staple OCSP responses for its own certificate. */
  readonly ocspStapling: OcspStaplerOptions | undefined;
}

export interface RevocationConfig {
  readonly mode: RevocationMode;
  readonly ocsp: OcspOptions;
  readonly crl: CrlOptions;
}

/** Every problem found, each naming its variable and rule; never a value, which may be a secret. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Record<string, string | undefined>) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  private fail<T>(name: string, rule: string, fallback: T): T {
    this.problems.push(`${name} ${rule}`);
    return fallback;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    return this.optionalInt(name, min, max) ?? fallback;
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    return /^\d+$/.test(value) && n >= min && n <= max ? n : this.fail(name, `must be a whole number from ${min} to ${max}`, undefined);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.fail(name, 'must be true or false', fallback);
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return (values as readonly string[]).includes(value) ? (value as T) : this.fail(name, `must be one of ${values.join(', ')}`, fallback);
  }

  duration(name: string, fallback: string): Duration {
    const parsed = parseIsoDuration(this.raw(name) ?? fallback);
    return parsed ?? this.fail(name, 'must be an ISO-8601 duration such as P1095D or PT5M', parseIsoDuration(fallback) as Duration);
  }

  millis(name: string, fallback: string): number {
    const d = this.duration(name, fallback);
    const ms = durationMillis(d);
    return ms ?? this.fail(name, 'must be a duration without years or months, such as PT30S', durationMillis(parseIsoDuration(fallback) as Duration) as number);
  }

  file(name: string, required: boolean): Buffer | undefined {
    const path = this.raw(name);
    if (path === undefined) return required ? this.fail(name, 'is required', undefined) : undefined;
    try {
      return readFileSync(path);
    } catch {
      return this.fail(name, 'must name a readable file', undefined);
    }
  }

  check(ok: boolean, name: string, rule: string): void {
    if (!ok) this.problems.push(`${name} ${rule}`);
  }
}

function pemKey(reader: EnvReader, pem: Buffer | undefined): KeyObject | undefined {
  if (!pem) return undefined;
  try {
    return createPrivateKey(pem);
  } catch {
    reader.check(false, 'CCS_TLS_KEY_FILE', 'must hold an unencrypted PEM private key');
    return undefined;
  }
}

function certificatesIn(reader: EnvReader, name: string, pem: Buffer | undefined) {
  if (!pem) return [];
  try {
    const certificates = parsePemCertificates(pem.toString('utf8'));
    reader.check(certificates.length > 0, name, 'must hold at least one PEM certificate');
    return certificates;
  } catch {
    reader.check(false, name, 'must hold only valid PEM certificates');
    return [];
  }
}

function readDatabase(r: EnvReader): ServiceConfig['database'] {
  const url = r.string('CCS_DATABASE_URL', 'sqlite:data/ccs.sqlite');
  r.check(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(url), 'CCS_DATABASE_URL', 'must be sqlite:<path> or postgres://…');
  return {
    url,
    poolSize: r.int('CCS_DATABASE_POOL_SIZE', 10, 2, 1000),
    migrateOnStart: r.bool('CCS_DATABASE_MIGRATE', true),
  };
}

function readManagement(r: EnvReader, service: ServiceName, publicPort: number): ServiceConfig['management'] {
  const name = service === 'sender' ? 'CCS_SENDER_MANAGEMENT_PORT' : 'CCS_RECIPIENT_MANAGEMENT_PORT';
  const port = r.int(name, service === 'sender' ? 18443 : 18444, 1, 65535);
  r.check(port !== publicPort, name, 'must differ from the HTTPS port');
  const token = r.optionalString('CCS_MANAGEMENT_TOKEN');
  r.check(token === undefined || /^[\x21-\x7e]{16,}$/.test(token), 'CCS_MANAGEMENT_TOKEN', 'must be at least 16 printable characters without spaces');
  return { host: r.string('CCS_MANAGEMENT_HOST', '127.0.0.1'), port, token };
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

const isHttpUrl = (value: string) => /^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value);

function readResponderOverrides(r: EnvReader): Map<string, string> {
  const name = 'CCS_OCSP_RESPONDER_OVERRIDES';
  const overrides = new Map<string, string>();
  for (const item of list(r.optionalString(name))) {
    const at = item.indexOf('=');
    const issuer = item.slice(0, at).replace(/:/g, '').toLowerCase();
    const url = item.slice(at + 1);
    const fits = at > 0 && (issuer === '*' || /^[0-9a-f]{64}$/.test(issuer)) && isHttpUrl(url);
    r.check(fits, name, 'must be a comma-separated list of <CA certificate SHA-256 fingerprint or *>=<http(s) URL>');
    if (fits) overrides.set(issuer, url);
  }
  return overrides;
}

function readRevocation(r: EnvReader): RevocationConfig {
  const mode = r.oneOf('CCS_REVOCATION_MODE', REVOCATION_MODES, 'ocsp');
  const timeoutMs = r.millis('CCS_OCSP_TIMEOUT', 'PT5S');
  const clockSkewMs = r.millis('CCS_OCSP_CLOCK_SKEW', 'PT5M');
  r.check(timeoutMs > 0, 'CCS_OCSP_TIMEOUT', 'must be longer than zero');
  const files = list(r.optionalString('CCS_CRL_FILES'));
  for (const file of files) {
    try {
      parseCrl(readFileSync(file));
    } catch {
      r.check(false, 'CCS_CRL_FILES', 'must list readable CRL files (DER or PEM)');
    }
  }
  const urls = list(r.optionalString('CCS_CRL_URLS'));
  r.check(urls.every(isHttpUrl), 'CCS_CRL_URLS', 'must be a comma-separated list of http(s) URLs');
  const refreshIntervalMs = r.millis('CCS_CRL_REFRESH_INTERVAL', 'PT1H');
  r.check(refreshIntervalMs > 0, 'CCS_CRL_REFRESH_INTERVAL', 'must be longer than zero');
  return {
    mode,
    ocsp: {
      timeoutMs,
      maxAgeMs: r.millis('CCS_OCSP_MAX_AGE', 'PT1H'),
      clockSkewMs,
      nonceRequired: r.bool('CCS_OCSP_NONCE_REQUIRED', false),
      cacheMaxMs: r.millis('CCS_OCSP_CACHE_MAX', 'PT5M'),
      responderOverrides: readResponderOverrides(r),
    },
    crl: { files, urls, refreshIntervalMs, timeoutMs, clockSkewMs },
  };
}

function readStapling(r: EnvReader, certPem: Buffer | undefined): OcspStaplerOptions | undefined {
  if (!r.bool('CCS_OCSP_STAPLING', false)) return undefined;
  const options: OcspStaplerOptions = {
    timeoutMs: r.millis('CCS_OCSP_TIMEOUT', 'PT5S'),
    clockSkewMs: r.millis('CCS_OCSP_CLOCK_SKEW', 'PT5M'),
    maxAgeMs: r.millis('CCS_OCSP_MAX_AGE', 'PT1H'),
    retryMs: 60_000,
  };
  if (certPem) {
    try {
      new OcspStapler(parsePemCertificates(certPem.toString('utf8')), options);
    } catch {
      r.check(false, 'CCS_OCSP_STAPLING', 'needs a server certificate with an OCSP responder (AIA) followed by its issuing CA in CCS_TLS_CERT_FILE');
    }
  }
  return options;
}

/** Only the database settings, for tools such as the migration command. */
export function loadDatabaseConfig(env: Record<string, string | undefined> = process.env): ServiceConfig['database'] {
  const r = new EnvReader(env);
  const database = readDatabase(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return database;
}

/** Reads and validates the configuration of one service. Only this module reads the environment. */
export function loadConfig(service: ServiceName, env: Record<string, string | undefined> = process.env): ServiceConfig {
  const r = new EnvReader(env);
  const port =
    service === 'sender' ? r.int('CCS_SENDER_PORT', 8443, 1, 65535) : r.int('CCS_RECIPIENT_PORT', 8444, 1, 65535);

  const database = readDatabase(r);

  const certPem = r.file('CCS_TLS_CERT_FILE', true);
  const keyPem = r.file('CCS_TLS_KEY_FILE', true);
  const [serverCert] = certificatesIn(r, 'CCS_TLS_CERT_FILE', certPem);
  const key = pemKey(r, keyPem);
  if (serverCert && key) {
    r.check(serverCert.checkPrivateKey(key), 'CCS_TLS_KEY_FILE', 'must hold the private key of the first certificate in CCS_TLS_CERT_FILE');
  }
  const clientCa = service === 'recipient' ? r.file('CCS_CLIENT_CA_FILE', true) : undefined;
  certificatesIn(r, 'CCS_CLIENT_CA_FILE', clientCa);

  const defaultTtl = r.duration('CCS_CAPSULE_DEFAULT_TTL', 'P1095D');
  const maxTtl = r.duration('CCS_CAPSULE_MAX_TTL', 'P1825D');
  const probe = new Date(0);
  r.check(addDuration(probe, defaultTtl) <= addDuration(probe, maxTtl), 'CCS_CAPSULE_DEFAULT_TTL', 'must not be longer than CCS_CAPSULE_MAX_TTL');
  r.check(addDuration(probe, defaultTtl) > probe, 'CCS_CAPSULE_DEFAULT_TTL', 'must be longer than zero');

  const purgeIntervalMs = r.millis('CCS_PURGE_INTERVAL', 'PT5M');
  const purge = {
    intervalMs: purgeIntervalMs,
    batchSize: r.optionalInt('CCS_PURGE_BATCH_SIZE', 1, 100_000),
  };

  const settings: Omit<ServiceConfig, 'tls' | 'expiryPolicy'> = {
    service,
    host: r.optionalString('CCS_BIND_HOST'),
    port,
    database,
    bodyLimitBytes: r.int('CCS_MAX_BODY_BYTES', 16 * 1024, 1024, 1024 * 1024),
    purge: purgeIntervalMs > 0 ? purge : undefined,
    http: {
      headersTimeoutMs: r.millis('CCS_HEADERS_TIMEOUT', 'PT10S'),
      requestTimeoutMs: r.millis('CCS_REQUEST_TIMEOUT', 'PT30S'),
      keepAliveTimeoutMs: r.millis('CCS_KEEP_ALIVE_TIMEOUT', 'PT5S'),
      maxConnections: r.int('CCS_MAX_CONNECTIONS', 1000, 1, 1_000_000),
    },
    shutdownGraceMs: r.millis('CCS_SHUTDOWN_GRACE', 'PT10S'),
    management: readManagement(r, service, port),
    log: {
      level: r.oneOf('CCS_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
      pretty: r.bool('CCS_LOG_PRETTY', false),
    },
    revocation: service === 'recipient' ? readRevocation(r) : undefined,
    ocspStapling: readStapling(r, certPem),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  // Without problems the files were read and the lifetimes are in order.
  return { ...settings, tls: { cert: certPem as Buffer, key: key as KeyObject, clientCa }, expiryPolicy: new ExpiryPolicy(defaultTtl, maxTtl) };
}
