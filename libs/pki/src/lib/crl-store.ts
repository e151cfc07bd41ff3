import * as asn1js from 'asn1js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bytesEqual, crlUrlsOf, parsedCertificate, verifySignature } from './der';
import { fetchBytes } from './http-fetch';
import { Clock, indeterminate, RevocationStatus } from './revocation-status';

export interface CrlOptions {
  /** CRL files (DER or PEM), read again on every refresh. */
  readonly files: readonly string[];
  readonly urls: readonly string[];
  /** Refresh at least this often, and also as soon as a CRL's nextUpdate has passed. */
  readonly refreshIntervalMs: number;
  readonly timeoutMs: number;
  readonly clockSkewMs: number;
}

/** The parts of an X.509 CRL (RFC 5280 5.1) that a revocation check needs. */
export interface ParsedCrl {
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** DER of the issuer Name. */
  readonly issuer: Uint8Array;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
  /** Lower-case hex serial numbers. */
  readonly revokedSerials: ReadonlySet<string>;
}

type LoadedCrl = ParsedCrl;

interface Source {
  current: LoadedCrl | undefined;
  loadedAt: number;
  loading: Promise<void> | undefined;
}

const MAX_CRL_BYTES = 32 * 1024 * 1024;

/** Parses a DER or PEM CRL; throws if it is neither. */
export function parseCrl(bytes: Buffer): ParsedCrl {
  const pem = /-----BEGIN (?:X509 )?CRL-----([A-Za-z0-9+/=\s]+)-----END (?:X509 )?CRL-----/.exec(bytes.toString('latin1'));
  const der = pem ? Buffer.from(pem[1], 'base64') : bytes;
  const decoded = asn1js.fromBER(der);
  if (decoded.offset === -1 || !(decoded.result instanceof asn1js.Sequence)) throw new Error('not a CRL');
  const [tbs, algorithm, signature] = decoded.result.valueBlock.value;
  if (!(tbs instanceof asn1js.Sequence) || !(algorithm instanceof asn1js.Sequence) || !(signature instanceof asn1js.BitString)) throw new Error('not a CRL');
  const fields = [...tbs.valueBlock.value];
  if (fields[0] instanceof asn1js.Integer) fields.shift();
  const [, issuer, thisUpdate, ...rest] = fields;
  const nextUpdate = isTime(rest[0]) ? rest.shift() : undefined;
  const entries = rest[0] instanceof asn1js.Sequence ? rest[0].valueBlock.value : [];
  const algorithmId = algorithm.valueBlock.value[0];
  if (!issuer || !isTime(thisUpdate) || !(algorithmId instanceof asn1js.ObjectIdentifier)) throw new Error('not a CRL');
  const revokedSerials = new Set<string>();
  for (const entry of entries) {
    const serial = entry instanceof asn1js.Sequence ? entry.valueBlock.value[0] : undefined;
    if (!(serial instanceof asn1js.Integer)) throw new Error('malformed CRL entry');
    revokedSerials.add(Buffer.from(serial.valueBlock.valueHexView).toString('hex'));
  }
  return {
    tbs: tbs.valueBeforeDecodeView,
    signatureAlgorithm: algorithmId.valueBlock.toString(),
    signature: signature.valueBlock.valueHexView,
    issuer: issuer.valueBeforeDecodeView,
    thisUpdate: thisUpdate.toDate().getTime(),
    nextUpdate: nextUpdate && isTime(nextUpdate) ? nextUpdate.toDate().getTime() : undefined,
    revokedSerials,
  };
}

function isTime(block: asn1js.AsnType | undefined): block is asn1js.UTCTime | asn1js.GeneralizedTime {
  return block instanceof asn1js.UTCTime || block instanceof asn1js.GeneralizedTime;
}

/** CRLs from configured files and URLs and from certificates' distribution points, kept fresh. */
export class CrlStore {
  private readonly sources = new Map<string, Source>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: CrlOptions,
    private readonly clock: Clock = Date.now,
  ) {}

  async check(leaf: X509Certificate, issuer: X509Certificate): Promise<RevocationStatus> {
    const names = [...this.options.files.map((f) => `file:${f}`), ...this.options.urls, ...crlUrlsOf(parsedCertificate(leaf))];
    await Promise.all([...new Set(names)].map((name) => this.refreshIfDue(name)));
    const now = this.clock();
    const issuerName = parsedCertificate(issuer).subject.toSchema().toBER(false);
    const usable = [...this.sources.values()]
      .map((source) => source.current)
      .filter((loaded): loaded is LoadedCrl => loaded !== undefined)
      .filter((loaded) => loaded.nextUpdate === undefined || loaded.nextUpdate >= now - this.options.clockSkewMs)
      .filter((loaded) => bytesEqual(loaded.issuer, new Uint8Array(issuerName)) && signedBy(loaded, issuer));
    if (!usable.length) return indeterminate('no current CRL from the issuer');
    const serial = Buffer.from(parsedCertificate(leaf).serialNumber.valueBlock.valueHexView).toString('hex');
    const revoked = usable.some((loaded) => loaded.revokedSerials.has(serial));
    return revoked ? { status: 'revoked' } : { status: 'good' };
  }

  /**
   * Loads the configured CRLs now and keeps every known CRL fresh in the background (on its
   * nextUpdate and on the refresh interval), so that requests seldom wait for a download.
   */
  start(tickMs = Math.min(this.options.refreshIntervalMs, 60_000)): void {
    const refreshAll = () => {
      const names = new Set([...this.options.files.map((f) => `file:${f}`), ...this.options.urls, ...this.sources.keys()]);
      for (const name of names) void this.refreshIfDue(name);
    };
    refreshAll();
    this.timer ??= setInterval(refreshAll, tickMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private refreshIfDue(name: string): Promise<void> {
    let source = this.sources.get(name);
    if (!source) {
      source = { current: undefined, loadedAt: Number.NEGATIVE_INFINITY, loading: undefined };
      this.sources.set(name, source);
    }
    const now = this.clock();
    const due =
      !source.current ||
      now >= source.loadedAt + this.options.refreshIntervalMs ||
      (source.current.nextUpdate !== undefined && now >= source.current.nextUpdate);
    if (!due) return Promise.resolve();
    if (!source.loading) {
      const target = source;
      target.loading = this.load(name)
        .then((crl) => {
          target.current = crl;
          target.loadedAt = this.clock();
        })
        // A failed refresh keeps the last good CRL, which still counts until its nextUpdate.
        .catch(() => undefined)
        .finally(() => (target.loading = undefined));
    }
    return source.loading ?? Promise.resolve();
  }

  private async load(name: string): Promise<ParsedCrl> {
    const bytes = name.startsWith('file:')
      ? readFileSync(name.slice('file:'.length))
      : await fetchBytes(name, { method: 'GET', timeoutMs: this.options.timeoutMs, maxBytes: MAX_CRL_BYTES });
    return parseCrl(bytes);
  }
}

function signedBy(crl: ParsedCrl, issuer: X509Certificate): boolean {
  return verifySignature(crl.signatureAlgorithm, crl.tbs, crl.signature, issuer.publicKey);
}
