import { Agent, request } from 'node:https';
import { createSecureContext } from 'node:tls';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
  /** Closed model: this many requests in flight at all times. Open model: most sockets per request kind. */
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
  const agents = kinds.map(
    (kind) =>
      new Agent({
        keepAlive: model.connection === 'keep-alive',
        maxSockets: model.concurrency,
        scheduling: 'fifo',
        // Real clients start every connection with a full handshake: no resumption.
        maxCachedSessions: 0,
        // With a timeout set, the agent closes an idle connection a second before the server's Keep-Alive
        // hint says the server will, instead of racing it (ECONNRESET on a reused connection).
        timeout,
        // One context per kind: given ca, cert and key instead, every new connection would parse them
        // again (1-2 ms of the generator's CPU per connection, taken from the servers on a shared machine).
        secureContext: createSecureContext({ ca: model.ca, cert: kind.client?.cert, key: kind.client?.key }),
        servername: 'localhost',
      }),
  );
  const latenciesByKind = kinds.map((): number[] => []);
  const errors: Record<string, number> = {};
  let ok = 0;
  let issued = 0;
  let sent = 0;
  let newConnections = 0;
  let measuringNow = false;
  const countConnection = () => {
    if (measuringNow) newConnections++;
  };
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const startMeasuring = () => {
    if (measuringNow) return;
    measuringNow = true;
    lag.enable();
    measuring?.();
  };
  let warmup: NodeJS.Timeout | undefined;
  let measuredFrom = 0;
  try {
    if (model.connection === 'keep-alive' && model.warmupMs) {
      // Every connection the generator may use is opened before the schedule starts and then used in
      // turn (fifo), so none idles into the server's keep-alive timeout. Otherwise a burst mid-run
      // opens new ones, and the handshakes on both sides show up as the server's latency.
      await Promise.all(kinds.flatMap((kind, k) => Array.from({ length: model.concurrency }, () => once(kind, agents[k], model.connection, timeout, countConnection))));
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
      return once(kinds[k], agents[k], model.connection, timeout, countConnection).then((outcome) => {
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
  } finally {
    clearTimeout(warmup);
    lag.disable();
    agents.forEach((agent) => agent.destroy());
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

function once(kind: RequestKind, agent: Agent, connection: ConnectionMode, timeoutMs: number, connecting: () => void): Promise<string | undefined> {
  return new Promise((resolve) => {
    const body = kind.body?.();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (connection === 'close') headers['Connection'] = 'close';
    if (body) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const req = request(
      { host: '127.0.0.1', port: kind.port, method: kind.method, path: kind.path(), headers, agent, servername: 'localhost' },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'response-error'));
        res.on('end', () => {
          if (res.statusCode !== kind.expectedStatus) return resolve(`status-${res.statusCode}`);
          resolve(kind.check?.(res.headers, Buffer.concat(chunks)));
        });
      },
    );
    req.once('socket', (socket) => {
      if (socket.connecting) connecting();
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'request-error'));
    req.end(body);
  });
}
