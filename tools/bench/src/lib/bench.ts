import { capsuleTypeFor, ephemeralKeyMaterial, recipientId } from '@ccs/test-pki';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countExpired, postgresHousekeeping, prefill, prefillExpiring, Dialect, PrefillSource } from './database';
import { LatencySummary } from './latency';
import { ConnectionMode, generateLoad, LoadModel, LoadResult, RequestKind } from './load-generator';
import { startBenchPostgres } from './postgres';
import { UsageMeter } from './process-usage';
import { PurgeLogged, PurgeLogWatcher } from './purge-log';
import { ServerKind, startBaseline, startCcs, startOpenssl, Target } from './targets';
import { BenchClientKey, BenchPki, capsuleBodies, clientKeyOf, createBenchPki, EC_CLIENT, isPost, Mix, operationsOf, RSA_CLIENT } from './workload';

export interface BenchOptions {
  readonly databases: readonly Dialect[];
  /** An existing PostgreSQL database to use instead of a throw-away embedded server. */
  readonly postgresUrl?: string;
  readonly prefill: number;
  readonly durationMs: number;
  /** Load before each measurement on the same connections, not counted. */
  readonly warmupMs: number;
  readonly maxRequests: number;
  readonly concurrency: number;
  /** Each scenario runs this many times per server, servers alternating. */
  readonly rounds: number;
  readonly mixes: readonly Mix[];
  readonly connections: readonly ConnectionMode[];
  /** Open-model rate; default: half the maximum CCS rate of the mixed keep-alive load. */
  readonly openRate?: number;
  readonly openModel: boolean;
  readonly baseline: boolean;
  readonly openssl: boolean;
  /** Directory for profiles and logs; profiles are written when cpuProfile is set. */
  readonly outDir: string;
  readonly cpuProfile: boolean;
  /** Extra CCS_* settings for the services. */
  readonly ccsEnv?: Record<string, string>;
  /** Extra Node.js options for the CCS services. */
  readonly ccsNodeOptions?: readonly string[];
  /** node:cluster workers per CCS service; undefined runs each service as one plain process. */
  readonly workers?: number;
  /** Run only the purge scenario: this many expired capsules, purged while GETs are measured. */
  readonly purge?: PurgeOptions;
}

export interface PurgeOptions {
  readonly expired: number;
  /** The measurement during the purge ends when the purge has finished or after this long. */
  readonly timeoutMs: number;
}

export interface Measurement {
  readonly server: ServerKind;
  readonly requests: number;
  readonly ok: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: LatencySummary;
  /** Per request kind of the mix (one entry for a single kind). */
  readonly latencyMsByKind: Record<string, LatencySummary>;
  readonly errors: Record<string, number>;
  /** Server CPU milliseconds per successful request, all service processes together. */
  readonly cpuMsPerRequest: number;
  /**
   * Per service, the largest resident set one of its processes had at a sample (one process serving
   * both, as openssl s_server does, counts for both).
   */
  readonly peakRssMbByService: { readonly sender: number; readonly recipient: number };
  /** CPU time of the machine taken by other guests of the host (steal) during the measurement, in percent. */
  readonly stealPercent: number;
  /**
   * Time the service processes' threads were ready to run but waited for a core, as a share of the
   * CPU time they got (percent): the load generator, the other service, the database and each
   * process's own helper threads compete for the same cores.
   */
  readonly runQueueWaitPercent: number;
  /** Share of the measurement in which some task of the machine waited for the disk (percent; null without pressure stall information). */
  readonly ioStallPercent: number | null;
  /** How late the load generator's own event loop ran (ms); tails up to this long may be the generator's. */
  readonly generatorLagMs: { readonly p99: number; readonly max: number };
  /** TLS connections the generator opened during the measurement. */
  readonly newConnections: number;
  /** CPU of the load generator's process per answered request (ms): what the measuring takes from the shared cores. */
  readonly generatorCpuMsPerRequest: number;
  readonly rounds: number;
}

export interface Scenario {
  readonly database: Dialect;
  readonly connection: ConnectionMode;
  readonly model: 'closed' | 'open';
  readonly mix: Mix;
  readonly concurrency: number;
  readonly ratePerSecond?: number;
  readonly measurements: Measurement[];
  /** CCS requests/s (closed) or p99 (open) over the same figure of the framework-free baseline. */
  readonly ratioToBaseline?: number;
  /** CCS requests/s over the openssl s_server handshake rate (new connection per request, GET only). */
  readonly ratioToOpenssl?: number;
}

/** EC GET, keep-alive, open model: without a purge, then while the recipient purges the expired capsules. */
export interface PurgeScenario {
  readonly database: Dialect;
  readonly expired: number;
  readonly live: number;
  readonly ratePerSecond: number;
  readonly withoutPurge: Measurement;
  readonly duringPurge: Measurement;
  /** From the recipient's `purged expired capsules` log line; undefined if it did not finish in time. */
  readonly purge?: { readonly deleted: number; readonly durationMs: number };
  /** Expired capsules left in the table after the measurement. */
  readonly remainingExpired: number;
  /** GET p99 during the purge over GET p99 without it. */
  readonly p99Ratio?: number;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly node: string;
  readonly cpus: number;
  readonly loadAverageBefore: number[];
  readonly loadAverageAfter: number[];
  readonly options: BenchOptions;
  readonly scenarios: Scenario[];
  readonly purge?: PurgeScenario[];
}

type Progress = (line: string) => void;

export async function runBench(options: BenchOptions, progress: Progress = () => undefined): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAverageBefore = loadavg();
  mkdirSync(options.outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'ccs-bench-'));
  const scenarios: Scenario[] = [];
  const purge: PurgeScenario[] = [];
  try {
    progress('generating the test PKI');
    const pki = await createBenchPki(join(work, 'pki'));
    for (const database of options.databases) {
      if (options.purge) purge.push(await benchPurge(database, options.purge, pki, work, options, progress));
      else scenarios.push(...(await benchDatabase(database, pki, work, options, progress)));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return {
    startedAt,
    node: process.version,
    cpus: cpus().length,
    loadAverageBefore,
    loadAverageAfter: loadavg(),
    options: { ...options, ccsEnv: undefined },
    scenarios,
    ...(options.purge ? { purge } : {}),
  };
}

async function openBenchDatabase(database: Dialect, work: string, options: BenchOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const postgres = database === 'postgres' && !options.postgresUrl ? await startBenchPostgres(join(options.outDir, 'postgres.log')) : undefined;
  const url = database === 'sqlite' ? `sqlite:${join(work, 'bench.sqlite')}` : (options.postgresUrl ?? postgres?.url ?? '');
  return { url, stop: async () => postgres?.stop() };
}

function prefillSource(pki: BenchPki): PrefillSource {
  return {
    capsuleType: { [EC_CLIENT]: capsuleTypeFor(EC_CLIENT), [RSA_CLIENT]: capsuleTypeFor(RSA_CLIENT) },
    recipientId: { [EC_CLIENT]: recipientId(pki.pki.clients[EC_CLIENT]), [RSA_CLIENT]: recipientId(pki.pki.clients[RSA_CLIENT]) },
    ephemeralKeyMaterial: { [EC_CLIENT]: ephemeralKeyMaterial(EC_CLIENT), [RSA_CLIENT]: ephemeralKeyMaterial(RSA_CLIENT) },
  };
}

/** The services' Node options: the caller's, and a CPU profile per process into `profileDir` when asked. */
function ccsNodeOptions(options: BenchOptions, profileDir: string): string[] {
  return [...(options.ccsNodeOptions ?? []), ...(options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', join(options.outDir, profileDir)] : [])];
}

async function benchPurge(database: Dialect, purge: PurgeOptions, pki: BenchPki, work: string, options: BenchOptions, progress: Progress): Promise<PurgeScenario> {
  const db = await openBenchDatabase(database, work, options);
  try {
    const source = prefillSource(pki);
    const live = Math.max(2, options.prefill);
    progress(`${database}: pre-filling ${live} live capsules`);
    const ids = await prefill(db.url, live, source);
    // The capsules expire while one recipient runs: first GETs before that moment, then GETs during the purge
    // its scheduler starts within a second of it. A purge at start-up would run before the port opens.
    const lead = 20_000 + 2 * options.warmupMs + options.durationMs + purge.expired * 0.04;
    const expiresAt = new Date(Math.ceil((Date.now() + lead) / 1000) * 1000);
    progress(`${database}: pre-filling ${purge.expired} capsules expiring at ${expiresAt.toISOString()}`);
    await prefillExpiring(db.url, purge.expired, expiresAt, source);
    const ratePerSecond = options.openRate ?? 200;
    const log = join(options.outDir, 'ccs-recipient.log');
    const offset = existsSync(log) ? statSync(log).size : 0;
    const ccs = await startCcs({
      pki,
      databaseUrl: db.url,
      dir: options.outDir,
      env: options.ccsEnv,
      nodeOptions: ccsNodeOptions(options, `profiles-purge-${database}`),
      serviceEnv: { sender: { CCS_PURGE_INTERVAL: 'PT0S' }, recipient: { CCS_PURGE_INTERVAL: 'PT1S' } },
    });
    try {
      const kinds = kindsFor(ccs, 'ec-get', pki, ids, { [EC_CLIENT]: [], [RSA_CLIENT]: [] });
      const model = { connection: 'keep-alive' as const, concurrency: options.concurrency, ratePerSecond, warmupMs: options.warmupMs, maxRequests: options.maxRequests, ca: pki.ca, requestTimeoutMs: purge.timeoutMs };
      progress(`${database}: EC GET at ${ratePerSecond}/s, keep-alive, nothing to purge`);
      const withoutPurge = await measure(ccs, kinds, { ...model, durationMs: options.durationMs });
      const purgeLog = new PurgeLogWatcher(log, offset);
      const early = purgeLog.poll();
      // The measurement during the purge counts from one second before the expiry, after its warm-up.
      const duringFrom = expiresAt.getTime() - 1000 - options.warmupMs;
      if (early || Date.now() > duringFrom) {
        throw new Error(`the capsules expired before the measurement without purge ended (${early ? 'purge logged' : 'too late'}): lower --duration`);
      }
      await new Promise((resolve) => setTimeout(resolve, duringFrom - Date.now()));
      progress(`${database}: EC GET at ${ratePerSecond}/s, keep-alive, while the recipient purges (at most ${purge.timeoutMs / 1000} s)`);
      const done = new AbortController();
      let finished: PurgeLogged | undefined;
      const watch = setInterval(() => {
        finished = purgeLog.poll();
        if (finished) done.abort();
      }, 200);
      let duringPurge: Measurement;
      try {
        // This measurement ends when the purge is logged (or at the purge timeout), not at --max-requests.
        duringPurge = await measure(ccs, kinds, { ...model, durationMs: purge.timeoutMs, maxRequests: Number.MAX_SAFE_INTEGER, stop: done.signal });
      } finally {
        clearInterval(watch);
      }
      finished = purgeLog.poll();
      return {
        database,
        expired: purge.expired,
        live,
        ratePerSecond,
        withoutPurge,
        duringPurge,
        purge: finished,
        remainingExpired: await countExpired(db.url),
        p99Ratio: withoutPurge.latencyMs.p99 > 0 && duringPurge.ok > 0 ? duringPurge.latencyMs.p99 / withoutPurge.latencyMs.p99 : undefined,
      };
    } finally {
      await ccs.stop();
    }
  } finally {
    await db.stop();
  }
}

async function benchDatabase(database: Dialect, pki: BenchPki, work: string, options: BenchOptions, progress: Progress): Promise<Scenario[]> {
  const db = await openBenchDatabase(database, work, options);
  const url = db.url;
  const targets: Target[] = [];
  let housekeeping: Awaited<ReturnType<typeof postgresHousekeeping>> | undefined;
  try {
    progress(`${database}: pre-filling ${options.prefill} capsules`);
    const ids = await prefill(url, Math.max(2, options.prefill), prefillSource(pki));
    if (database === 'postgres') housekeeping = await postgresHousekeeping(url, progress);
    const prepare = async () => housekeeping?.beforeMeasurement();
    const settings = { pki, databaseUrl: url, dir: options.outDir };
    const ccs = await startCcs({
      ...settings,
      env: options.ccsEnv,
      workers: options.workers,
      nodeOptions: ccsNodeOptions(options, `profiles-${database}`),
    });
    targets.push(ccs);
    const baseline = options.baseline
      ? await startBaseline({ ...settings, baselineProfileDir: options.cpuProfile ? join(options.outDir, `profiles-${database}`, 'baseline') : undefined })
      : undefined;
    if (baseline) targets.push(baseline);
    const openssl = options.openssl ? await startOpenssl(settings) : undefined;
    if (openssl) targets.push(openssl);

    const bodies = { [EC_CLIENT]: capsuleBodies(pki.pki, EC_CLIENT), [RSA_CLIENT]: capsuleBodies(pki.pki, RSA_CLIENT) };
    const scenarios: Scenario[] = [];
    for (const connection of options.connections) {
      for (const mix of options.mixes) {
        const servers: Target[] = [ccs, ...(baseline ? [baseline] : [])];
        const handshake = openssl && connection === 'close' && mix === 'ec-get';
        if (handshake) servers.push(openssl);
        progress(`${database} ${connection} ${mix}: closed model, ${options.concurrency} in flight`);
        const measurements = await alternate(servers, options.rounds, prepare, (target) =>
          measure(target, kindsFor(target, mix, pki, ids, bodies), { connection, concurrency: options.concurrency, warmupMs: options.warmupMs, durationMs: options.durationMs, maxRequests: options.maxRequests, ca: pki.ca }),
        );
        scenarios.push(withRatios({ database, connection, model: 'closed', mix, concurrency: options.concurrency, measurements }));
      }
    }
    if (options.openModel) {
      for (const connection of options.connections) {
        const closed = scenarios.find((s) => s.connection === connection && s.mix === 'mixed' && s.model === 'closed');
        const rate = options.openRate ?? (closed ? Math.max(1, Math.round(closed.measurements[0].requestsPerSecond / 2)) : undefined);
        if (!rate) continue;
        progress(`${database} ${connection} mixed: open model, ${rate} requests/s`);
        const servers: Target[] = [ccs, ...(baseline ? [baseline] : [])];
        const measurements = await alternate(servers, options.rounds, prepare, (target) =>
          measure(target, kindsFor(target, 'mixed', pki, ids, bodies), {
            connection,
            concurrency: options.concurrency,
            ratePerSecond: rate,
            warmupMs: options.warmupMs,
            durationMs: options.durationMs,
            maxRequests: options.maxRequests,
            ca: pki.ca,
          }),
        );
        scenarios.push(withRatios({ database, connection, model: 'open', mix: 'mixed', concurrency: options.concurrency, ratePerSecond: rate, measurements }));
      }
    }
    return scenarios;
  } finally {
    for (const target of targets.reverse()) await target.stop();
    await housekeeping?.close();
    await db.stop();
  }
}

/**
 * Runs every server once per round, in turn, so that drift on a shared machine hits all alike;
 * `prepare` runs before each measurement.
 */
async function alternate(
  servers: readonly Target[],
  rounds: number,
  prepare: () => Promise<void>,
  run: (target: Target) => Promise<Measurement>,
): Promise<Measurement[]> {
  const byServer = new Map<ServerKind, Measurement[]>();
  for (let round = 0; round < rounds; round++) {
    for (const server of servers) {
      const list = byServer.get(server.kind) ?? [];
      await prepare();
      list.push(await run(server));
      byServer.set(server.kind, list);
    }
  }
  return [...byServer.values()].map(combine);
}

/** One measurement; server CPU and memory are sampled from the end of the warm-up on. */
async function measure(target: Target, kinds: readonly RequestKind[], model: LoadModel): Promise<Measurement> {
  const pids = { sender: target.senderPids, recipient: target.recipientPids };
  let meter: UsageMeter | undefined;
  let result: LoadResult;
  try {
    result = await generateLoad(kinds, model, () => (meter = new UsageMeter(pids)));
  } catch (error) {
    meter?.stop();
    throw error;
  }
  const usage = (meter ?? new UsageMeter(pids)).stop();
  return {
    server: target.kind,
    requests: result.requests,
    ok: result.ok,
    requestsPerSecond: result.requestsPerSecond,
    latencyMs: result.latencyMs,
    latencyMsByKind: result.latencyMsByKind,
    errors: result.errors,
    cpuMsPerRequest: result.ok ? (usage.cpuSeconds * 1000) / result.ok : 0,
    peakRssMbByService: { sender: usage.peakRssBytesByGroup.sender / 2 ** 20, recipient: usage.peakRssBytesByGroup.recipient / 2 ** 20 },
    stealPercent: usage.stealPercent,
    runQueueWaitPercent: usage.runQueueWaitPercent,
    ioStallPercent: usage.ioStallPercent,
    generatorLagMs: result.generatorLagMs,
    newConnections: result.newConnections,
    generatorCpuMsPerRequest: result.generatorCpuMsPerRequest,
    rounds: 1,
  };
}

function combine(list: Measurement[]): Measurement {
  const mean = (f: (m: Measurement) => number) => list.reduce((sum, m) => sum + f(m), 0) / list.length;
  const errors: Record<string, number> = {};
  for (const m of list) for (const [kind, n] of Object.entries(m.errors)) errors[kind] = (errors[kind] ?? 0) + n;
  return {
    server: list[0].server,
    requests: list.reduce((sum, m) => sum + m.requests, 0),
    ok: list.reduce((sum, m) => sum + m.ok, 0),
    requestsPerSecond: mean((m) => m.requestsPerSecond),
    latencyMs: combineLatency(list.map((m) => m.latencyMs)),
    latencyMsByKind: Object.fromEntries(Object.keys(list[0].latencyMsByKind).map((kind) => [kind, combineLatency(list.map((m) => m.latencyMsByKind[kind]))])),
    errors,
    cpuMsPerRequest: mean((m) => m.cpuMsPerRequest),
    peakRssMbByService: {
      sender: Math.max(...list.map((m) => m.peakRssMbByService.sender)),
      recipient: Math.max(...list.map((m) => m.peakRssMbByService.recipient)),
    },
    stealPercent: mean((m) => m.stealPercent),
    runQueueWaitPercent: mean((m) => m.runQueueWaitPercent),
    ioStallPercent: list.some((m) => m.ioStallPercent === null) ? null : mean((m) => m.ioStallPercent ?? 0),
    generatorLagMs: { p99: mean((m) => m.generatorLagMs.p99), max: Math.max(...list.map((m) => m.generatorLagMs.max)) },
    newConnections: list.reduce((sum, m) => sum + m.newConnections, 0),
    generatorCpuMsPerRequest: mean((m) => m.generatorCpuMsPerRequest),
    rounds: list.length,
  };
}

/** Rounds together: percentiles averaged over the rounds, the largest maximum. */
function combineLatency(list: LatencySummary[]): LatencySummary {
  const mean = (f: (l: LatencySummary) => number) => list.reduce((sum, l) => sum + f(l), 0) / list.length;
  return { p50: mean((l) => l.p50), p90: mean((l) => l.p90), p99: mean((l) => l.p99), max: Math.max(...list.map((l) => l.max)) };
}

function withRatios(scenario: Scenario): Scenario {
  const of = (kind: ServerKind) => scenario.measurements.find((m) => m.server === kind);
  const ccs = of('ccs');
  const baseline = of('baseline');
  const openssl = of('openssl');
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : undefined);
  return {
    ...scenario,
    ratioToBaseline:
      scenario.model === 'closed' ? ratio(ccs?.requestsPerSecond, baseline?.requestsPerSecond) : ratio(ccs?.latencyMs.p99, baseline?.latencyMs.p99),
    ratioToOpenssl: ratio(ccs?.requestsPerSecond, openssl?.requestsPerSecond),
  };
}

function kindsFor(
  target: Target,
  mix: Mix,
  pki: BenchPki,
  ids: Record<BenchClientKey, string[]>,
  bodies: Record<BenchClientKey, Buffer[]>,
): RequestKind[] {
  if (target.kind === 'openssl') {
    return [{ name: 'handshake', port: target.recipientPort, method: 'GET', path: () => '/', client: pki.clients[EC_CLIENT], expectedStatus: 200 }];
  }
  return operationsOf(mix).map((operation): RequestKind => {
    const key = clientKeyOf(operation);
    if (isPost(operation)) {
      let next = 0;
      return {
        name: operation,
        port: target.senderPort,
        method: 'POST',
        path: () => '/key-capsules',
        body: () => bodies[key][next++ % bodies[key].length],
        expectedStatus: 201,
        check: (headers) => (/^\/key-capsules\/KC[0-9a-f]{32}$/.test(String(headers['location'])) ? undefined : 'bad-location'),
      };
    }
    const list = ids[key];
    return {
      name: operation,
      port: target.recipientPort,
      method: 'GET',
      path: () => `/key-capsules/${list[Math.floor(Math.random() * list.length)]}`,
      client: pki.clients[key],
      expectedStatus: 200,
      check: (_headers, body) => (body.length > 0 && body[0] === 0x7b ? undefined : 'bad-body'),
    };
  });
}
