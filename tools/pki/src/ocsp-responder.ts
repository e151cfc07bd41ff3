import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash, KeyObject, sign } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCrl } from './crl';
import type { CertificateAuthority, IssuedCertificate } from './issue-certificate';

export type OcspCertificateStatus = 'good' | 'revoked' | 'unknown';

/** Ways a responder misbehaves, for tests of the client's checks. */
export type OcspFault = 'none' | 'bad-signature' | 'wrong-serial' | 'stale' | 'missing-nonce' | 'try-later' | 'garbage';

export interface OcspResponderOptions {
  readonly ca: CertificateAuthority;
  /** A delegated responder certificate and key; default: the CA signs its own answers. */
  readonly signer?: IssuedCertificate;
  /** Status of serials not set with setStatus. Default: good. */
  readonly defaultStatus?: OcspCertificateStatus;
  /** Default: 0, any free port. Always 127.0.0.1. */
  readonly port?: number;
  /** Validity of each answer (nextUpdate − thisUpdate) in seconds; 0 leaves nextUpdate out. Default: 3600. */
  readonly validitySeconds?: number;
}

export interface OcspResponder {
  /** POST OCSP requests here. */
  readonly url: string;
  /** GET the CA's current CRL here (DER), listing every serial set to revoked. */
  readonly crlUrl: string;
  setStatus(serialNumber: string, status: OcspCertificateStatus): void;
  setFault(fault: OcspFault): void;
  /** Delay every answer by this many milliseconds. */
  setDelay(ms: number): void;
  /** How many OCSP requests were answered or are being answered. */
  requestCount(): number;
  close(): Promise<void>;
}

const OID = {
  sha1: '1.3.14.3.2.26',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};
const TRY_LATER = 3;
const MALFORMED_REQUEST = 1;

/** A real OCSP responder (RFC 6960) for one CA on a loopback port, with switchable statuses and faults. */
export async function startOcspResponder(options: OcspResponderOptions): Promise<OcspResponder> {
  const statuses = new Map<string, OcspCertificateStatus>();
  let fault: OcspFault = 'none';
  let delayMs = 0;
  let requests = 0;
  const signer = options.signer ?? options.ca;
  const signerKey = KeyObject.from(signer.privateKey.cryptoKey);
  const caPk = pkijs.Certificate.fromBER(options.ca.certificate.der);
  const signerPk = pkijs.Certificate.fromBER(signer.certificate.der);
  const caNameHash = sha1(new Uint8Array(caPk.subject.toSchema().toBER(false)));
  const caKeyHash = sha1(caPk.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const statusOf = (serial: string) => statuses.get(serial.toLowerCase()) ?? options.defaultStatus ?? 'good';

  async function answer(body: Buffer): Promise<Buffer> {
    if (fault === 'garbage') return Buffer.from('not an OCSP response');
    if (fault === 'try-later') return status(TRY_LATER);
    let request: pkijs.OCSPRequest;
    try {
      request = pkijs.OCSPRequest.fromBER(body);
    } catch {
      return status(MALFORMED_REQUEST);
    }
    // Whole seconds: DER GeneralizedTime in OCSP carries no fractions.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const thisUpdate = new Date(fault === 'stale' ? now - 2 * 86_400_000 : now);
    const validity = (options.validitySeconds ?? 3600) * 1000;
    const nextUpdate = validity > 0 ? new Date(fault === 'stale' ? now - 86_400_000 : now + validity) : undefined;
    const responses = request.tbsRequest.requestList.map(({ reqCert }) => {
      const serial = Buffer.from(reqCert.serialNumber.valueBlock.valueHexView).toString('hex');
      const ours =
        reqCert.hashAlgorithm.algorithmId === OID.sha1 &&
        Buffer.from(reqCert.issuerNameHash.valueBlock.valueHexView).equals(caNameHash) &&
        Buffer.from(reqCert.issuerKeyHash.valueBlock.valueHexView).equals(caKeyHash);
      const certID = fault === 'wrong-serial' ? otherSerial(reqCert) : reqCert;
      return new pkijs.SingleResponse({
        certID,
        certStatus: certStatus(ours ? statusOf(serial) : 'unknown', now),
        thisUpdate,
        ...(nextUpdate && { nextUpdate }),
      });
    });
    const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === OID.ocspNonce);
    const tbsResponseData = new pkijs.ResponseData({
      responderID: signerPk.subject,
      producedAt: new Date(now),
      responses,
      ...(nonce && fault !== 'missing-nonce' && { responseExtensions: [nonce] }),
    });
    const tbs = Buffer.from(tbsResponseData.toSchema(true).toBER(false));
    tbsResponseData.tbsView = new Uint8Array(tbs);
    const [algorithmId, hash] = signatureAlgorithm(signerKey);
    const signature = sign(hash, tbs, signerKey);
    if (fault === 'bad-signature') signature[signature.length - 1] ^= 0x01;
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData,
      signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId, ...(algorithmId === OID.sha256WithRsa && { algorithmParams: new asn1js.Null() }) }),
      signature: new asn1js.BitString({ valueHex: signature }),
      ...(options.signer && { certs: [signerPk] }),
    });
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: OID.ocspBasic,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
      }),
    });
    return Buffer.from(response.toSchema().toBER(false));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'GET' && req.url === '/crl') {
      const revoked = [...statuses].filter(([, s]) => s === 'revoked').map(([serialNumber]) => ({ serialNumber }));
      const crl = await createCrl(options.ca, { revoked });
      res.writeHead(200, { 'Content-Type': 'application/pkix-crl' }).end(crl.der);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    requests++;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (res.destroyed) return;
    const der = await answer(Buffer.concat(chunks));
    res.writeHead(200, { 'Content-Type': 'application/ocsp-response' }).end(der);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ocsp`,
    crlUrl: `http://127.0.0.1:${port}/crl`,
    setStatus: (serialNumber, value) => statuses.set(serialNumber.toLowerCase(), value),
    setFault: (value) => (fault = value),
    setDelay: (ms) => (delayMs = ms),
    requestCount: () => requests,
    async close() {
      server.closeAllConnections();
      server.close();
      if (server.listening) await once(server, 'close');
    },
  };
}

function status(code: number): Buffer {
  return Buffer.from(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: code }) }).toSchema().toBER(false));
}

function certStatus(value: OcspCertificateStatus, now: number): asn1js.BaseBlock {
  if (value === 'revoked') {
    return new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 1 },
      value: [new asn1js.GeneralizedTime({ valueDate: new Date(now - 1000) })],
    });
  }
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: value === 'good' ? 0 : 2 } });
}

function otherSerial(certId: pkijs.CertID): pkijs.CertID {
  const serial = Buffer.from(certId.serialNumber.valueBlock.valueHexView);
  serial[serial.length - 1] ^= 0x01;
  return new pkijs.CertID({ ...certId, serialNumber: new asn1js.Integer({ valueHex: serial }) });
}

function signatureAlgorithm(key: KeyObject): [string, string] {
  if (key.asymmetricKeyType === 'rsa') return [OID.sha256WithRsa, 'sha256'];
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return [OID.ecdsaWithSha384, 'sha384'];
  if (curve === 'secp521r1') return [OID.ecdsaWithSha512, 'sha512'];
  return [OID.ecdsaWithSha256, 'sha256'];
}

function sha1(data: Uint8Array): Buffer {
  return createHash('sha1').update(data).digest();
}
