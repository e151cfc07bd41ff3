/**
 * Revokes a development client certificate: `npx tsx --tsconfig tsconfig.base.json tools/dev/src/revoke.ts p-384`
 * (or rsa-2048, or a serial number in hex). A running `npm start` answers OCSP and CRL requests accordingly.
 */
import { readTestPki } from '@ccs/test-pki';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readRevoked, writeRevoked } from './dev-revocation';

const pkiDir = join(resolve(process.env['CCS_DEV_DATA_DIR'] ?? join(__dirname, '../../../data')), 'pki');
const which = (process.argv[2] ?? '').toLowerCase();
const files = readTestPki(pkiDir, ['P-384', 'RSA-2048']).clients;
const byKey: Record<string, string> = { 'p-384': files['P-384'].certificate, 'rsa-2048': files['RSA-2048'].certificate };
const serial = byKey[which] ? new X509Certificate(readFileSync(byKey[which])).serialNumber.toLowerCase() : /^[0-9a-f]+$/.test(which) ? which : undefined;
if (!serial) {
  console.error('Usage: revoke.ts p-384 | rsa-2048 | <serial hex>');
  process.exit(2);
}
writeRevoked(pkiDir, [...readRevoked(pkiDir), serial]);
console.log(`Revoked ${serial}. The recipient service refuses it once its cached OCSP answer expires (CCS_OCSP_CACHE_MAX).`);
