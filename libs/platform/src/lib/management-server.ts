import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { ServiceConfig } from './config';
import { ServiceHealth } from './service-health';
import { ServiceMetrics } from './service-metrics';

export interface ManagementServerOptions {
  readonly config: ServiceConfig['management'];
  readonly health: ServiceHealth;
  readonly metrics: ServiceMetrics;
  readonly openApi: object;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Hashing first makes the comparison take the same time whatever the length of the guess. */
function authorized(request: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = request.headers.authorization ?? '';
  return timingSafeEqual(digest(given), digest(`Bearer ${token}`));
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

const json = (response: ServerResponse, status: number, body: unknown) => send(response, status, 'application/json', JSON.stringify(body));

async function answer(request: IncomingMessage, response: ServerResponse, options: ManagementServerOptions): Promise<void> {
  if (!authorized(request, options.config.token)) {
    response.setHeader('WWW-Authenticate', 'Bearer');
    return json(response, 401, { status: 401, title: 'Unauthorized' });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return json(response, 405, { status: 405, title: 'Method Not Allowed' });
  }
  switch (new URL(request.url ?? '/', 'http://management').pathname) {
    case '/health/live':
      return json(response, 200, { status: 'UP' });
    case '/health/ready': {
      const { ready, checks } = await options.health.readiness();
      return json(response, ready ? 200 : 503, { status: ready ? 'UP' : 'DOWN', checks });
    }
    case '/metrics':
      return send(response, 200, options.metrics.registry.contentType, await options.metrics.registry.metrics());
    case '/openapi.json':
      return json(response, 200, options.openApi);
    default:
      return json(response, 404, { status: 404, title: 'Not Found' });
  }
}

/** Plain HTTP on its own port, apart from the public TLS listener: health probes, Prometheus, the OpenAPI document. */
export async function startManagementServer(options: ManagementServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    answer(request, response, options).catch(() => {
      if (!response.headersSent) json(response, 500, { status: 500, title: 'Internal Server Error' });
      else response.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.listen(options.config.port, options.config.host);
  await once(server, 'listening');
  return server;
}
