import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { LRUCache } from 'lru-cache';
import { randomBytes, X509Certificate } from 'node:crypto';
import {
  bytesEqual,
  certificateFingerprint,
  digest,
  digestName,
  findIssuer,
  ocspUrlsOf,
  OID,
  parsedCertificate,
  toNodeCertificate,
  verifySignature,
} from './der';
import { fetchBytes, FetchError } from './http-fetch';
import { Clock, indeterminate, RevocationStatus } from './revocation-status';

export interface OcspOptions {
  /** Deadline for one exchange with a responder. */
  readonly timeoutMs: number;
  /** Oldest acceptable thisUpdate. */
  readonly maxAgeMs: number;
  readonly clockSkewMs: number;
  /** Refuse answers that do not echo our nonce. */
  readonly nonceRequired: boolean;
  /** Longest time an answer is reused; it is never reused past its nextUpdate. Zero: never reused. */
  readonly cacheMaxMs: number;
  /** Responder per issuing CA, by lower-case hex SHA-256 of the CA certificate, or '*' for any CA. */
  readonly responderOverrides: ReadonlyMap<string, string>;
}

interface CachedStatus {
  readonly status: RevocationStatus;
  readonly until: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
/** Answers kept at most; past it, expired answers go first, then the oldest. */
export const OCSP_CACHE_ENTRIES = 100_000;
const NONCE_BYTES = 32;
const STATUS_TAGS = ['good', 'revoked', 'unknown'] as const;

/** A parsed and verified OCSP answer for one certificate. */
export interface VerifiedOcspResponse {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
}

export class OcspResponseError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OcspResponseError';
  }
}

/** A DER OCSP request for one certificate, with a fresh nonce unless told otherwise. */
export function buildOcspRequest(leaf: X509Certificate, issuer: X509Certificate, nonce: Buffer | undefined): Buffer {
  const leafPk = parsedCertificate(leaf);
  const issuerPk = parsedCertificate(issuer);
  // RFC 5019 responders are only required to understand SHA-1 CertIDs; this hash names, it does not sign.
  const certId = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha1, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: digest('sha1', issuerNameDer(leafPk)) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: digest('sha1', issuerKeyBits(issuerPk)) }),
    serialNumber: leafPk.serialNumber,
  });
  const tbsRequest = new pkijs.TBSRequest({ requestList: [new pkijs.Request({ reqCert: certId })] });
  if (nonce) {
    tbsRequest.requestExtensions = [
      new pkijs.Extension({ extnID: OID.ocspNonce, critical: false, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false) }),
    ];
  }
  return Buffer.from(new pkijs.OCSPRequest({ tbsRequest }).toSchema(true).toBER(false));
}

export interface VerifyOcspOptions {
  readonly nonce: Buffer | undefined;
  readonly nonceRequired: boolean;
  readonly now: number;
  readonly clockSkewMs: number;
  readonly maxAgeMs: number;
}

/** Checks an OCSP response for leaf (signature, signer, CertID, freshness, nonce); throws OcspResponseError if it does not hold. */
export function verifyOcspResponse(der: Uint8Array, leaf: X509Certificate, issuer: X509Certificate, options: VerifyOcspOptions): VerifiedOcspResponse {
  const basic = basicResponseOf(der);
  const data = basic.tbsResponseData;
  const signer = responseSigner(basic, issuer, options.now);
  const signed = verifySignature(basic.signatureAlgorithm.algorithmId, data.tbsView, basic.signature.valueBlock.valueHexView, signer.publicKey);
  if (!signed) throw new OcspResponseError('response signature does not verify');

  const nonceExtension = data.responseExtensions?.find((e) => e.extnID === OID.ocspNonce);
  if (options.nonce) {
    if (nonceExtension && !nonceMatches(nonceExtension, options.nonce)) throw new OcspResponseError('nonce mismatch');
    // A missing nonce allows replay of an older answer; whether to accept that is the operator's choice.
    if (!nonceExtension && options.nonceRequired) throw new OcspResponseError('nonce missing');
  }

  const single = data.responses.find((response) => certIdMatches(response.certID, leaf, issuer));
  if (!single) throw new OcspResponseError('no answer for this certificate');
  const thisUpdate = single.thisUpdate.getTime();
  const nextUpdate = single.nextUpdate?.getTime();
  if (thisUpdate > options.now + options.clockSkewMs) throw new OcspResponseError('answer from the future');
  if (thisUpdate < options.now - options.maxAgeMs - options.clockSkewMs) throw new OcspResponseError('stale answer');
  if (nextUpdate !== undefined && nextUpdate < options.now - options.clockSkewMs) throw new OcspResponseError('stale answer');

  const tag = (single.certStatus as asn1js.BaseBlock).idBlock;
  const status = tag.tagClass === 3 ? STATUS_TAGS[tag.tagNumber] : undefined;
  if (!status) throw new OcspResponseError('malformed certificate status');
  return { status, thisUpdate, nextUpdate };
}

/** OCSP for client certificates: one request per (issuer, serial) at a time, answers reused until stale. */
export class OcspClient {
  private readonly cache: LRUCache<string, CachedStatus>;
  private readonly inFlight = new Map<string, Promise<RevocationStatus>>();

  constructor(
    private readonly options: OcspOptions,
    private readonly clock: Clock = Date.now,
    maxEntries = OCSP_CACHE_ENTRIES,
  ) {
    this.cache = new LRUCache({ max: maxEntries });
  }

  check(leaf: X509Certificate, issuer: X509Certificate): Promise<RevocationStatus> {
    const key = `${certificateFingerprint(issuer)}:${leaf.serialNumber.toLowerCase()}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > this.clock()) return Promise.resolve(cached.status);
    this.cache.delete(key);
    const running = this.inFlight.get(key);
    if (running) return running;
    const started = this.query(leaf, issuer, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private responderFor(leaf: X509Certificate, issuer: X509Certificate): string | undefined {
    const overrides = this.options.responderOverrides;
    return overrides.get(certificateFingerprint(issuer)) ?? overrides.get('*') ?? ocspUrlsOf(parsedCertificate(leaf))[0];
  }

  private async query(leaf: X509Certificate, issuer: X509Certificate, key: string): Promise<RevocationStatus> {
    const url = this.responderFor(leaf, issuer);
    if (!url) return indeterminate('no OCSP responder for this certificate');
    const nonce = randomBytes(NONCE_BYTES);
    let der: Buffer;
    try {
      der = await fetchBytes(url, {
        method: 'POST',
        body: buildOcspRequest(leaf, issuer, nonce),
        contentType: 'application/ocsp-request',
        timeoutMs: this.options.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      });
    } catch (error) {
      return indeterminate(`OCSP responder: ${error instanceof FetchError ? error.reason : 'failed'}`);
    }
    const now = this.clock();
    let verified: VerifiedOcspResponse;
    try {
      verified = verifyOcspResponse(der, leaf, issuer, { ...this.options, nonce, now });
    } catch (error) {
      return indeterminate(`OCSP response: ${error instanceof OcspResponseError ? error.reason : 'malformed'}`);
    }
    const status: RevocationStatus = { status: verified.status };
    const until = Math.min(now + this.options.cacheMaxMs, verified.nextUpdate ?? Number.POSITIVE_INFINITY);
    if (until > now) this.cache.set(key, { status, until });
    return status;
  }
}

function basicResponseOf(der: Uint8Array): pkijs.BasicOCSPResponse {
  let response: pkijs.OCSPResponse;
  let basic: pkijs.BasicOCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(der);
  } catch {
    throw new OcspResponseError('malformed');
  }
  const responseStatus = response.responseStatus.valueBlock.valueDec;
  if (responseStatus !== 0) throw new OcspResponseError(`responder status ${responseStatus}`);
  if (!response.responseBytes || response.responseBytes.responseType !== OID.ocspBasic) throw new OcspResponseError('not a basic response');
  try {
    basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView);
  } catch {
    throw new OcspResponseError('malformed');
  }
  return basic;
}

/** The issuer itself, or a responder certificate that the issuer issued for OCSP signing and that is valid now. */
function responseSigner(basic: pkijs.BasicOCSPResponse, issuer: X509Certificate, now: number): X509Certificate {
  const data = basic.tbsResponseData;
  const signature = basic.signature.valueBlock.valueHexView;
  if (verifySignature(basic.signatureAlgorithm.algorithmId, data.tbsView, signature, issuer.publicKey)) return issuer;
  for (const candidate of basic.certs ?? []) {
    let certificate: X509Certificate;
    try {
      certificate = toNodeCertificate(candidate);
    } catch {
      continue;
    }
    if (!verifySignature(basic.signatureAlgorithm.algorithmId, data.tbsView, signature, certificate.publicKey)) continue;
    // A delegated responder must be certified by the very CA it speaks for, for exactly this purpose.
    if (!findIssuer(certificate, [issuer])) throw new OcspResponseError('responder certificate not issued by the CA');
    if (!(certificate.keyUsage ?? []).includes(OID.ocspSigning)) throw new OcspResponseError('responder certificate lacks OCSP signing');
    if (Date.parse(certificate.validFrom) > now || Date.parse(certificate.validTo) < now) throw new OcspResponseError('responder certificate not valid now');
    return certificate;
  }
  throw new OcspResponseError('response signature does not verify');
}

function certIdMatches(certId: pkijs.CertID, leaf: X509Certificate, issuer: X509Certificate): boolean {
  const hash = digestName(certId.hashAlgorithm.algorithmId);
  if (!hash) return false;
  const leafPk = parsedCertificate(leaf);
  return (
    bytesEqual(certId.serialNumber.valueBlock.valueHexView, leafPk.serialNumber.valueBlock.valueHexView) &&
    bytesEqual(certId.issuerNameHash.valueBlock.valueHexView, digest(hash, issuerNameDer(leafPk))) &&
    bytesEqual(certId.issuerKeyHash.valueBlock.valueHexView, digest(hash, issuerKeyBits(parsedCertificate(issuer))))
  );
}

function nonceMatches(extension: pkijs.Extension, nonce: Buffer): boolean {
  const value = extension.extnValue.valueBlock.valueHexView;
  if (bytesEqual(value, nonce)) return true;
  const inner = asn1js.fromBER(value);
  return inner.offset !== -1 && inner.result instanceof asn1js.OctetString && bytesEqual(inner.result.valueBlock.valueHexView, nonce);
}

function issuerNameDer(leaf: pkijs.Certificate): Uint8Array {
  return new Uint8Array(leaf.issuer.toSchema().toBER(false));
}

function issuerKeyBits(issuer: pkijs.Certificate): Uint8Array {
  return issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
}
