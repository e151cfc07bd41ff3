import { keyServerCapsuleTypes } from '@ccs/capsule-types/key-server';
import { createHash, X509Certificate } from 'node:crypto';

/** The spec's name for the scheme every capsule type of this server belongs to (16.6.1). */
export const KEY_SERVER_SCHEME = 'KeyServerCapsule';
export const KEY_SERVER_ALIAS = 'key-server';
export const KEY_CAPSULE_TYPES: readonly string[] = keyServerCapsuleTypes.map((type) => type.name);

export interface ServerSettings {
  readonly serverId: string;
  readonly name: string;
  readonly organisationId: string;
  /** `key-server` for every key-server capsule type, or some of KEY_CAPSULE_TYPES. */
  readonly capsuleTypes: readonly string[];
  readonly senderUrl: string;
  readonly recipientUrl: string;
}

export interface CertificateFile {
  readonly path: string;
  readonly pem: string;
}

export interface ServerCertificate {
  readonly path: string;
  readonly certificate: X509Certificate;
  /** base64 SHA-256 of the DER SubjectPublicKeyInfo, as in HPKP and OkHttp pins. */
  readonly spkiSha256: string;
}

export interface ServerEntry {
  readonly serverId: string;
  readonly name: string;
  readonly organisationId: string;
  readonly capsuleTypes: readonly string[];
  readonly senderUrl: string;
  readonly recipientUrl: string;
  readonly certificates: readonly ServerCertificate[];
}

export class ServerListError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot build the server list entry:\n  ${problems.join('\n  ')}`);
    this.name = 'ServerListError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function spkiSha256(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** Validates the settings and certificates; throws a ServerListError naming every problem found. */
export function buildServerEntry(settings: ServerSettings, files: readonly CertificateFile[], now = new Date()): ServerEntry {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
    return ok;
  };

  check(UUID.test(settings.serverId), 'server id must be a UUID such as 00000000-0000-4000-8000-000000000000');
  check(settings.name.trim() !== '' && !CONTROL.test(settings.name), 'name must be non-empty text on one line');
  check(
    settings.organisationId.trim() !== '' && !CONTROL.test(settings.organisationId),
    'organisation id must be non-empty text on one line',
  );
  const capsuleTypes = resolveCapsuleTypes(settings.capsuleTypes, check);
  const senderUrl = baseUrl('sender URL', settings.senderUrl, check);
  const recipientUrl = baseUrl('recipient URL', settings.recipientUrl, check);

  check(files.length > 0, 'at least one server certificate file is required');
  const certificates: ServerCertificate[] = [];
  for (const file of files) {
    const certificate = serverCertificate(file, now, check);
    if (certificate) certificates.push(certificate);
  }
  const pins = new Set<string>();
  for (const { path, spkiSha256: pin } of certificates) {
    check(!pins.has(pin), `${path}: repeats the public key of an earlier certificate`);
    pins.add(pin);
  }
  for (const [label, url] of [['sender URL', senderUrl], ['recipient URL', recipientUrl]] as const) {
    if (url && certificates.length > 0) {
      const host = hostOf(url);
      check(
        certificates.some(({ certificate }) => covers(certificate, host)),
        `${label}: no server certificate names the host ${host} in its subjectAltName (clients verify it)`,
      );
    }
  }
  for (const { path, certificate } of certificates) {
    const hosts = [senderUrl, recipientUrl].filter((url): url is string => url !== undefined).map(hostOf);
    if (hosts.length === 2) {
      check(hosts.some((host) => covers(certificate, host)), `${path}: names neither the sender nor the recipient host`);
    }
  }

  if (problems.length > 0 || !senderUrl || !recipientUrl) throw new ServerListError(problems);
  return {
    serverId: settings.serverId.toLowerCase(),
    name: settings.name.trim(),
    organisationId: settings.organisationId.trim(),
    capsuleTypes,
    senderUrl,
    recipientUrl,
    certificates,
  };
}

function resolveCapsuleTypes(values: readonly string[], check: (ok: boolean, problem: string) => boolean): string[] {
  const requested = values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
  if (!check(requested.length > 0, `capsule type is required: ${KEY_SERVER_ALIAS} or some of ${KEY_CAPSULE_TYPES.join(', ')}`)) {
    return [];
  }
  const resolved = new Set<string>();
  for (const value of requested) {
    if (value === KEY_SERVER_ALIAS) {
      KEY_CAPSULE_TYPES.forEach((type) => resolved.add(type));
    } else if (check(KEY_CAPSULE_TYPES.includes(value), `capsule type ${value} is unknown: use ${KEY_SERVER_ALIAS} or some of ${KEY_CAPSULE_TYPES.join(', ')}`)) {
      resolved.add(value);
    }
  }
  return KEY_CAPSULE_TYPES.filter((type) => resolved.has(type));
}

/** Clients append /key-capsules to these URLs themselves, so they carry no query, fragment or trailing slash. */
function baseUrl(label: string, value: string, check: (ok: boolean, problem: string) => boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    check(false, `${label} must be an absolute https URL such as https://ccs.example.org:8443`);
    return undefined;
  }
  const ok = [
    check(url.protocol === 'https:', `${label} must use https`),
    check(url.username === '' && url.password === '', `${label} must not carry credentials`),
    check(url.search === '' && url.hash === '', `${label} must not have a query or fragment`),
    check(!/\/key-capsules\/?$/.test(url.pathname), `${label} must be the base URL, without /key-capsules`),
  ].every(Boolean);
  return ok ? url.href.replace(/\/+$/, '') : undefined;
}

function serverCertificate(
  file: CertificateFile,
  now: Date,
  check: (ok: boolean, problem: string) => boolean,
): ServerCertificate | undefined {
  if (!check(!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(file.pem), `${file.path}: holds a private key; give the certificate only`)) {
    return undefined;
  }
  // The first certificate is the server's; any that follow are its chain, which clients do not pin.
  const [first] = file.pem.match(PEM_CERTIFICATE) ?? [];
  if (!check(first !== undefined, `${file.path}: holds no PEM certificate`)) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(first as string);
  } catch {
    check(false, `${file.path}: the first PEM certificate cannot be parsed`);
    return undefined;
  }
  const ok = [
    check(!certificate.ca, `${file.path}: is a CA certificate; give the server (leaf) certificate`),
    check(new Date(certificate.validTo) > now, `${file.path}: expired on ${new Date(certificate.validTo).toISOString()}`),
  ].every(Boolean);
  return ok ? { path: file.path, certificate, spkiSha256: spkiSha256(certificate) } : undefined;
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
}

function covers(certificate: X509Certificate, host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':') ? certificate.checkIP(host) !== undefined : certificate.checkHost(host) !== undefined;
}
