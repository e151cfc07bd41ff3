import { createSecureContext } from 'node:tls';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client } from 'undici';
import { LatencySummary, summariseLatency } from './latency';

export type ConnectionMode = 'close' | 'keep-alive';

/** One kind of request the generator sends, with what a correct answer looks like. */
export interface RequestKind {
  readonly name: string;
  readonly port: number;
  readonly method: 'GET' | 'POST';
  /** Called per request, so that bodies and ids vary. */
  readonly path: () => string;
  readonly body?: () => Buffer;
  readonly client?: { readonly cert: string; readonly key: string };
  readonly expectedStatus: number;
  /** Extra check of a response with the expected status; returns an error kind or undefined. */
  readonly check?: (headers: Record<string, string | string[] | undefined>, body: Buffer) => string | undefined;
}

export interface LoadModel {
  readonly connection: ConnectionMode;
  /** Closed model: this many requests in flight at all times. Open model: most connections per request kind. */
  readonly concurrency: number;
  /** Open model when set: requests start at this fixed rate regardless of answers. */
  readonly ratePerSecond?: number;
  /** Load sent first on the same connections and not counted (JIT, connection set-up); default none. */
  readonly warmupMs?: number;
  /** Measured time after the warm-up. */
  readonly durationMs: number;
  /** Measured requests at most. */
  readonly maxRequests: number;
  readonly ca: string;
  readonly requestTimeoutMs?: number;
  /** Ends the measurement early, as the duration would. */
  readonly stop?: AbortSignal;
}

export interface LoadResult {
  readonly requests: number;
  readonly ok: number;
  readonly elapsedSeconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: LatencySummary;
  /** The same per request kind (by name): which part of a mixed load makes its tail. */
  readonly latencyMsByKind: Record<string, LatencySummary>;
  readonly errors: Record<string, number>;
  /**
   * How late the generator's own event loop ran during the measurement (p99 and max, ms): a
   * latency tail no longer than this may be the generator's, not the server's.
   */
  readonly generatorLagMs: { readonly p99: number; readonly max: number };
  /** TLS connections opened during the measurement (with keep-alive, each is a handshake on both sides mid-measurement). */
  readonly newConnections: number;
  /** CPU time of the generator's process (user + system) per answered request, ms: its share of a shared machine. */
  readonly generatorCpuMsPerRequest: number;
}

/**
 * Sends requests round-robin over the kinds until the duration or the request count is reached.
 * Open-model latency counts from the moment a request was due, so a stalled server is charged for
 * the requests it delayed (no coordinated omission). Requests due during the warm-up are sent the
 * same way but not counted; `measuring` is called when the counted part begins. With keep-alive and
 * a warm-up, the warm-up begins by opening `concurrency` connections per request kind.
 */
export async function generateLoad(kinds: readonly RequestKind[], model: LoadModel, measuring?: () => void): Promise<LoadResult> {
  const timeout = model.requestTimeoutMs ?? 10_000;
  let newConnections = 0;
  let measuringNow = false;
  const pools = kinds.map((kind) => new ConnectionPool(kind, model, timeout, () => measuringNow && newConnections++));
  const latenciesByKind = kinds.map((): number[] => []);
  const errors: Record<string, number> = {};
  let ok = 0;
  let issued = 0;
  let sent = 0;
  let cpuFrom: NodeJS.CpuUsage | undefined;
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const startMeasuring = () => {
    if (measuringNow) return;
    measuringNow = true;
    cpuFrom = process.cpuUsage();
    lag.enable();
    measuring?.();
  };
  let warmup: NodeJS.Timeout | undefined;
  let measuredFrom = 0;
  let cpuMicros = 0;
  try {
    if (model.connection === 'keep-alive' && model.warmupMs) {
      // Every connection the generator may use is opened before the schedule starts and then used in
      // turn, so none idles into the server's keep-alive timeout. Otherwise a burst mid-run opens new
      // ones, and the handshakes on both sides show up as the server's latency.
      await Promise.all(pools.flatMap((pool) => Array.from({ length: model.concurrency }, () => pool.send())));
    }
    const started = performance.now();
    measuredFrom = started + (model.warmupMs ?? 0);
    const deadline = measuredFrom + model.durationMs;
    warmup = model.warmupMs ? setTimeout(startMeasuring, model.warmupMs) : undefined;
    if (!model.warmupMs) startMeasuring();
    const counted = (dueAt: number) => dueAt >= measuredFrom;
    const room = () => issued < model.maxRequests;

    const send = (index: number, dueAt: number): Promise<void> => {
      const k = index % kinds.length;
      sent++;
      if (counted(dueAt)) {
        issued++;
        // The warm-up's timer may run after the first counted request is sent; its connection counts.
        startMeasuring();
      }
      return pools[k].send().then((outcome) => {
        if (!counted(dueAt)) return;
        if (outcome === undefined) {
          ok++;
          latenciesByKind[k].push(performance.now() - dueAt);
        } else {
          errors[outcome] = (errors[outcome] ?? 0) + 1;
        }
      });
    };

    if (model.ratePerSecond === undefined) {
      const loop = async () => {
        while (performance.now() < deadline && room() && !model.stop?.aborted) {
          await send(sent, performance.now());
        }
      };
      await Promise.all(Array.from({ length: model.concurrency }, loop));
    } else {
      await openModel(model.ratePerSecond, deadline, room, started, model.stop, send);
    }
    if (cpuFrom) {
      const cpu = process.cpuUsage(cpuFrom);
      cpuMicros = cpu.user + cpu.system;
    }
  } finally {
    clearTimeout(warmup);
    lag.disable();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
  const elapsedSeconds = Math.max(0, performance.now() - measuredFrom) / 1000;
  return {
    requests: issued,
    ok,
    elapsedSeconds,
    requestsPerSecond: elapsedSeconds > 0 ? ok / elapsedSeconds : 0,
    latencyMs: summariseLatency(latenciesByKind.flat()),
    latencyMsByKind: Object.fromEntries(kinds.map((kind, k) => [kind.name, summariseLatency(latenciesByKind[k])])),
    errors,
    generatorLagMs: lag.count ? { p99: lagMs(lag.percentile(99)), max: lagMs(lag.max) } : { p99: 0, max: 0 },
    newConnections,
    generatorCpuMsPerRequest: ok ? cpuMicros / 1000 / ok : 0,
  };
}

const LAG_RESOLUTION_MS = 5;
// The histogram counts in nanoseconds the whole interval of its timer, so the resolution itself is not lag.
const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);

async function openModel(
  rate: number,
  deadline: number,
  room: () => boolean,
  started: number,
  stop: AbortSignal | undefined,
  send: (index: number, dueAt: number) => Promise<void>,
): Promise<void> {
  const pending = new Set<Promise<void>>();
  const interval = 1000 / rate;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (room() && started + next * interval <= Math.min(now, deadline)) {
        const sent = send(next, started + next * interval);
        pending.add(sent);
        void sent.then(() => pending.delete(sent));
        next++;
      }
      if (!room() || now >= deadline || stop?.aborted) resolve();
      else setTimeout(tick, Math.max(0, Math.min(5, started + next * interval - now)));
    };
    tick();
  });
  await Promise.all(pending);
}

/**
 * `concurrency` undici clients of one request kind, one request at a time on each, handed out in
 * turn (the longest idle first): with keep-alive every connection is used again long before the
 * server's keep-alive timeout. Requests wait in order when all are busy.
 */
class ConnectionPool {
  private readonly clients: Client[];
  private readonly idle: Client[];
  private readonly waiting: ((client: Client) => void)[] = [];
  private readonly headers: Record<string, string>;

  constructor(
    private readonly kind: RequestKind,
    private readonly model: LoadModel,
    timeoutMs: number,
    connected: () => void,
  ) {
    // One TLS context per kind: given ca, cert and key instead, every new connection would parse them
    // again (1-2 ms of the generator's CPU per connection, taken from the servers on a shared machine).
    const secureContext = createSecureContext({ ca: model.ca, cert: kind.client?.cert, key: kind.client?.key });
    this.clients = Array.from({ length: model.concurrency }, () => {
      const client = new Client(`https://127.0.0.1:${kind.port}`, {
        // Real clients start every connection with a full handshake: no resumption.
        connect: { secureContext, servername: 'localhost', maxCachedSessions: 0, timeout: timeoutMs },
        pipelining: 1,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      client.on('connect', connected);
      return client;
    });
    this.idle = [...this.clients];
    this.headers = { accept: 'application/json', ...(kind.body ? { 'content-type': 'application/json' } : {}) };
  }

  /** One request; resolves to undefined for a correct answer, else to the kind of error. */
  async send(): Promise<string | undefined> {
    const client = this.idle.shift() ?? (await new Promise<Client>((resolve) => this.waiting.push(resolve)));
    try {
      const response = await client.request({
        method: this.kind.method,
        path: this.kind.path(),
        headers: this.headers,
        body: this.kind.body?.(),
        // Without keep-alive: `Connection: close` and a new connection for the next request, as libcdoc does.
        reset: this.model.connection === 'close',
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode !== this.kind.expectedStatus) return `status-${response.statusCode}`;
      return this.kind.check?.(response.headers, body);
    } catch (error) {
      return (error as { code?: string }).code ?? 'request-error';
    } finally {
      const next = this.waiting.shift();
      if (next) next(client);
      else this.idle.push(client);
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.destroy()));
  }
}
