import type { Request } from 'express';
import type { Server } from 'node:https';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ServiceName } from './config';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/** The shape of a connection pool that reports its size (node-postgres does). */
export interface PoolStatistics {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * Every Prometheus metric of one service, in its own registry. Labels are route templates, status
 * codes, outcomes and error codes only: never a transaction id, capsule, key or certificate field.
 * Other parts of the service register their metrics in `registry`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly capsulesStored: Counter;
  readonly capsulesServed: Counter;
  readonly capsulesNotFound: Counter;
  readonly capsulesPurged: Counter;
  readonly purgeDuration: Histogram;
  readonly tlsHandshakeFailures: Counter<'reason'>;
  /** Client certificate checks (trust, policy, revocation) by outcome, once per TLS connection. */
  readonly clientCertificateChecks: Histogram<'outcome'>;
  private pool: (() => PoolStatistics | undefined) | undefined;
  private readonly responseObservers = new Map<string, (seconds: number) => void>();

  constructor(service: ServiceName) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'ccs_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames: ['method', 'route', 'status'], registers });
    this.requestDuration = new Histogram({
      name: 'ccs_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.capsulesStored = new Counter({ name: 'ccs_capsules_stored_total', help: 'Capsules stored', registers });
    this.capsulesServed = new Counter({ name: 'ccs_capsules_served_total', help: 'Capsules returned to their recipient', registers });
    this.capsulesNotFound = new Counter({ name: 'ccs_capsules_not_found_total', help: 'Fetches answered 404: unknown, expired or not addressed to the client', registers });
    this.capsulesPurged = new Counter({ name: 'ccs_capsules_purged_total', help: 'Expired capsules deleted by the purge', registers });
    this.purgeDuration = new Histogram({ name: 'ccs_purge_duration_seconds', help: 'Duration of one purge run', buckets: LATENCY_BUCKETS, registers });
    this.tlsHandshakeFailures = new Counter({ name: 'ccs_tls_handshake_failures_total', help: 'TLS handshakes that failed, by error code', labelNames: ['reason'], registers });
    this.clientCertificateChecks = new Histogram({
      name: 'ccs_client_certificate_check_duration_seconds',
      help: 'Checks of a client certificate (trust, policy, revocation) by outcome: authenticated, untrusted, revoked, indeterminate',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const pool = () => this.pool?.();
    new Gauge({
      name: 'ccs_database_pool_connections',
      help: 'Database pool connections by state (PostgreSQL only)',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = pool();
        if (!stats) return;
        this.set({ state: 'total' }, stats.totalCount);
        this.set({ state: 'idle' }, stats.idleCount);
        this.set({ state: 'waiting' }, stats.waitingCount);
      },
    });
  }

  /** Counts and times one response of the public listener by the template of the route that answered it; `aborted` when the client hung up first. */
  observeResponse(request: Request, status: number | 'aborted', seconds: number): void {
    const method = request.method;
    const route = routeTemplateOf(request);
    // Label values are few (methods Node accepts, route templates, status codes): one cached pair of children each.
    const key = `${method} ${route} ${status}`;
    let observe = this.responseObservers.get(key);
    if (!observe) {
      const labels = { method, route, status: String(status) };
      const counter = this.requests.labels(labels);
      const histogram = this.requestDuration.labels(labels);
      observe = (value: number) => {
        counter.inc();
        histogram.observe(value);
      };
      this.responseObservers.set(key, observe);
    }
    observe(seconds);
  }

  observeTlsFailures(server: Server): void {
    server.on('tlsClientError', (error: Error & { code?: unknown }) => {
      const code = typeof error.code === 'string' && ERROR_CODE.test(error.code) ? error.code : 'other';
      this.tlsHandshakeFailures.inc({ reason: code });
    });
  }

  observePool(statistics: () => PoolStatistics | undefined): void {
    this.pool = statistics;
  }
}

function routeTemplateOf(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${request.baseUrl}${path}` : 'unmatched';
}
