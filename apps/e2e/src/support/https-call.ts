import { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { SecureVersion } from 'node:tls';

export interface ClientCredentials {
  readonly cert: string;
  readonly key: string;
}

export interface CallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** CA that the server certificate must chain to. */
  readonly ca: string;
  readonly client?: ClientCredentials;
  readonly maxVersion?: SecureVersion;
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a new TLS connection, as real CDOC2 clients make them. */
export function call(url: string, options: CallOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        cert: options.client?.cert,
        key: options.client?.key,
        maxVersion: options.maxVersion,
        agent: false,
        servername: 'localhost',
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
