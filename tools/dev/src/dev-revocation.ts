import { loadTestPki, startOcspResponder, type OcspResponder } from '@ccs/test-pki';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Serial numbers (lower-case hex) of revoked development certificates, one JSON list per PKI folder. */
export const REVOKED_FILE = 'revoked.json';

export function devRevocationUrls(port: number): { ocspUrl: string; crlUrl: string } {
  return { ocspUrl: `http://127.0.0.1:${port}/ocsp`, crlUrl: `http://127.0.0.1:${port}/crl` };
}

/** True when the certificate names this responder in its AIA, i.e. the PKI was made for it. */
export function namesResponder(certificateFile: string, ocspUrl: string): boolean {
  return (new X509Certificate(readFileSync(certificateFile)).infoAccess ?? '').includes(ocspUrl);
}

export function readRevoked(pkiDir: string): string[] {
  const path = join(pkiDir, REVOKED_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as string[]) : [];
}

export function writeRevoked(pkiDir: string, serials: readonly string[]): void {
  writeFileSync(join(pkiDir, REVOKED_FILE), JSON.stringify([...new Set(serials)], null, 2) + '\n');
}

/** The development OCSP responder and CRL for the issuing CA, following revoked.json as it changes. */
export async function startDevResponder(pkiDir: string, port: number): Promise<OcspResponder> {
  const pki = await loadTestPki(pkiDir, []);
  const responder = await startOcspResponder({ ca: pki.issuingCa, port, validitySeconds: 60 });
  const apply = () => readRevoked(pkiDir).forEach((serial) => responder.setStatus(serial, 'revoked'));
  apply();
  const path = join(pkiDir, REVOKED_FILE);
  watchFile(path, { interval: 1000 }, apply);
  return {
    ...responder,
    async close() {
      unwatchFile(path, apply);
      await responder.close();
    },
  };
}
