import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export class FetchError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FetchError';
  }
}

export interface FetchOptions {
  readonly method: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** One HTTP exchange with a deadline on the whole of it, not just on connecting. */
export function fetchBytes(url: string, options: FetchOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return reject(new FetchError('invalid URL'));
    }
    const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
    if (!send) return reject(new FetchError('unsupported URL scheme'));
    const headers: Record<string, string | number> = {};
    if (options.body) {
      headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
      headers['Content-Length'] = options.body.byteLength;
    }
    const req = send(target, { method: options.method, headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return fail(`HTTP ${res.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) return fail('response too large');
        chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      });
      res.on('error', () => fail('connection failed'));
    });
    const timer = setTimeout(() => fail('timed out'), options.timeoutMs);
    function fail(reason: string) {
      clearTimeout(timer);
      req.destroy();
      reject(new FetchError(reason));
    }
    req.on('error', () => fail('connection failed'));
    req.end(options.body ? Buffer.from(options.body) : undefined);
  });
}
