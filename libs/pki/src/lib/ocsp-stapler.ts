import { X509Certificate } from 'node:crypto';
import { findIssuer, ocspUrlsOf, parsedCertificate } from './der';
import { fetchBytes, FetchError } from './http-fetch';
import { buildOcspRequest, OcspResponseError, verifyOcspResponse } from './ocsp-client';
import { Clock } from './revocation-status';

export interface OcspStaplerOptions {
  readonly timeoutMs: number;
  readonly clockSkewMs: number;
  readonly maxAgeMs: number;
  /** Wait after a failed fetch. */
  readonly retryMs: number;
}

export type StaplerEvent = { readonly kind: 'fetched'; readonly status: string } | { readonly kind: 'failed'; readonly reason: string };

const MAX_RESPONSE_BYTES = 64 * 1024;
const MIN_REFRESH_MS = 10_000;

/**
 * Keeps a verified OCSP response for the server's own certificate, fetched from its AIA responder and
 * refreshed halfway through its validity, for stapling to TLS handshakes.
 */
export class OcspStapler {
  private readonly leaf: X509Certificate;
  private readonly issuer: X509Certificate;
  private readonly url: string;
  private response: { der: Buffer; until: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Throws when the certificate names no OCSP responder or its issuer is not in the chain. */
  constructor(
    chain: readonly X509Certificate[],
    private readonly options: OcspStaplerOptions,
    private readonly onEvent: (event: StaplerEvent) => void = () => undefined,
    private readonly clock: Clock = Date.now,
  ) {
    const [leaf, ...rest] = chain;
    if (!leaf) throw new Error('no server certificate');
    const issuer = findIssuer(leaf, rest);
    if (!issuer) throw new Error('the server certificate file must include the issuing CA certificate for OCSP stapling');
    const url = ocspUrlsOf(parsedCertificate(leaf))[0];
    if (!url) throw new Error('the server certificate names no OCSP responder (AIA) for OCSP stapling');
    this.leaf = leaf;
    this.issuer = issuer;
    this.url = url;
  }

  /** The response to staple now, or undefined when there is no current one. */
  current(): Buffer | undefined {
    return this.response && this.response.until > this.clock() ? this.response.der : undefined;
  }

  /** Fetches once and keeps refreshing until stop(); a failed first fetch is reported, not thrown. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async refresh(): Promise<void> {
    let delay = this.options.retryMs;
    try {
      const der = await fetchBytes(this.url, {
        method: 'POST',
        body: buildOcspRequest(this.leaf, this.issuer, undefined),
        contentType: 'application/ocsp-request',
        timeoutMs: this.options.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      });
      const now = this.clock();
      const verified = verifyOcspResponse(der, this.leaf, this.issuer, { ...this.options, nonce: undefined, nonceRequired: false, now });
      const until = verified.nextUpdate ?? verified.thisUpdate + this.options.maxAgeMs;
      this.response = { der, until };
      delay = Math.max(MIN_REFRESH_MS, (until - verified.thisUpdate) / 2 - (now - verified.thisUpdate));
      this.onEvent({ kind: 'fetched', status: verified.status });
    } catch (error) {
      const reason = error instanceof FetchError || error instanceof OcspResponseError ? error.reason : 'failed';
      this.onEvent({ kind: 'failed', reason });
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), delay);
    this.timer.unref();
  }
}
