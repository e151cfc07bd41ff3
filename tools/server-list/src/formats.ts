import { KEY_SERVER_SCHEME, type ServerEntry } from './server-entry';

/** The entry for DigiDoc4's central configuration, key `CDOC2-CONF`; its certificates go in the certificate bundle. */
export function cdoc2ConfFragment(entry: ServerEntry): string {
  const fragment = { [entry.serverId]: { NAME: entry.name, POST: entry.senderUrl, FETCH: entry.recipientUrl } };
  return `${JSON.stringify(fragment, null, 2)}\n`;
}

/** A `--server` configuration for the Java reference client; trust store settings are left for the operator. */
export function javaClientProperties(entry: ServerEntry): string {
  const lines = [
    `# CDOC2 capsule server ${oneLine(entry.name)}, maintained by ${oneLine(entry.organisationId)}`,
    `# Capsule types: ${entry.capsuleTypes.join(', ')}`,
    '# The server id is written into every container; recipients need an entry with the same id.',
    `cdoc2.client.server.id=${propertyValue(entry.serverId)}`,
    '# Sender interface: TLS, no client certificate',
    `cdoc2.client.server.base-url.post=${propertyValue(entry.senderUrl)}`,
    '# Recipient interface: mutual TLS with the recipient key',
    `cdoc2.client.server.base-url.get=${propertyValue(entry.recipientUrl)}`,
    '',
    '# Trust: put the server certificates in a trust store,',
    ...entry.certificates.map(
      ({ path }, i) => `#   keytool -importcert -noprompt -storetype PKCS12 -keystore server-truststore.p12 -alias ccs-server-${i + 1} -file ${oneLine(path)}`,
    ),
    '# and point the client at it:',
    '# cdoc2.client.ssl.trust-store.type=PKCS12',
    '# cdoc2.client.ssl.trust-store=server-truststore.p12',
    '# cdoc2.client.ssl.trust-store-password=<password>',
    '# Server certificates (SHA-256 SPKI pin, subject, valid until):',
    ...entry.certificates.map(
      ({ certificate, spkiSha256 }) =>
        `#   ${spkiSha256}  ${oneLine(certificate.subject)}  ${new Date(certificate.validTo).toISOString()}`,
    ),
    '',
  ];
  return lines.join('\n');
}

export interface ServerListCertificateJson {
  readonly pem: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serial_number: string;
  readonly not_before: string;
  readonly not_after: string;
  readonly sha256_fingerprint: string;
  readonly spki_sha256: string;
}

export interface ServerListJson {
  readonly server_id: string;
  readonly name: string;
  readonly organisation_id: string;
  readonly capsule_type: typeof KEY_SERVER_SCHEME;
  readonly capsule_types: readonly string[];
  readonly sender_url: string;
  readonly recipient_url: string;
  readonly certificates: readonly ServerListCertificateJson[];
}

/** Every element of a server list entry (spec 16.5), with a pin for every server certificate. */
export function serverListDocument(entry: ServerEntry): ServerListJson {
  return {
    server_id: entry.serverId,
    name: entry.name,
    organisation_id: entry.organisationId,
    capsule_type: KEY_SERVER_SCHEME,
    capsule_types: entry.capsuleTypes,
    sender_url: entry.senderUrl,
    recipient_url: entry.recipientUrl,
    certificates: entry.certificates.map(({ certificate, spkiSha256 }) => ({
      pem: certificate.toString(),
      subject: certificate.subject,
      issuer: certificate.issuer,
      serial_number: certificate.serialNumber,
      not_before: new Date(certificate.validFrom).toISOString(),
      not_after: new Date(certificate.validTo).toISOString(),
      sha256_fingerprint: certificate.fingerprint256,
      spki_sha256: spkiSha256,
    })),
  };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ', ');
}

/** java.util.Properties escaping for a value, readable whatever encoding the client loads the file with. */
function propertyValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/^ /, '\\ ')
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
