import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { pinProblem, type ServerPin } from './server-pin';

export interface ClientCredentials {
  readonly cert: string;
  readonly key: string;
}

export interface PinnedRequest {
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly client?: ClientCredentials;
  readonly timeoutMs: number;
}

export interface PinnedReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export class ConnectionError extends Error {}

/** One request on a new TLS 1.3 connection; nothing is sent until the server has passed the pin check. */
export async function pinnedRequest(url: URL, pin: ServerPin, options: PinnedRequest): Promise<PinnedReply> {
  const socket = await connectPinned(url, pin, options);
  return new Promise<PinnedReply>((resolve, reject) => {
    const req = httpRequest(
      {
        createConnection: () => socket,
        host: url.hostname,
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: options.method,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (error) => reject(new ConnectionError(`${url.host}: ${error.message}`)));
    req.end(options.body);
  }).finally(() => socket.destroy());
}

function connectPinned(url: URL, pin: ServerPin, options: PinnedRequest): Promise<TLSSocket> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(url.port || 443),
      servername: isIP(host) ? undefined : host,
      minVersion: 'TLSv1.3',
      ca: pin.anchors.length > 0 ? [...pin.anchors] : undefined,
      // The pin check below decides, before any byte of the request is written.
      rejectUnauthorized: false,
      cert: options.client?.cert,
      key: options.client?.key,
    });
    socket.setTimeout(options.timeoutMs, () => socket.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    const fail = (error: Error) => reject(new ConnectionError(`${url.host}: ${error.message}`));
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      const problem = pinProblem(socket, host, pin);
      if (problem) {
        socket.destroy();
        reject(new ConnectionError(problem));
        return;
      }
      resolve(socket);
    });
  });
}
