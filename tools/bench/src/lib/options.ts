import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchOptions } from './bench';
import { Dialect } from './database';
import { ConnectionMode } from './load-generator';
import { MIXES, Mix } from './workload';
import { WORKSPACE } from './processes';

export const USAGE = `npm run bench -- [options]
  --databases sqlite,postgres   databases to run against (default both)
  --postgres-url URL            use this PostgreSQL database instead of an embedded server
  --prefill N                   capsules in the table before the run (default 100000)
  --duration S                  seconds per measurement (default 5)
  --warmup S                    seconds of load before each measurement, on the same connections, not counted (default 2)
  --max-requests N              requests per measurement at most (default 1000000; not the one during a purge)
  --concurrency N               requests in flight, closed model (default 16)
  --rounds N                    measurements per server and scenario, alternating servers (default 2)
  --mixes LIST                  mixed,ec-post,rsa-post,ec-get,rsa-get (default all)
  --connections LIST            close,keep-alive (default both)
  --rate N                      open-model requests/s in every connection mode run; with close, few
                                machines reach thousands (default per mode: half the CCS maximum of
                                the mixed load in that mode)
  --no-open                     skip the open model
  --no-baseline                 skip the framework-free baseline
  --no-openssl                  skip openssl s_server
  --cpu-prof                    write --cpu-prof profiles of the services (baseline ones under baseline/) to the output directory
  --workers N                   run each CCS service in N node:cluster workers (cluster-launcher.ts)
  --node-option OPTION          an extra Node.js option for the CCS services, e.g. --trace-gc (repeatable)
  --env CCS_NAME=VALUE          an extra setting for the CCS services (repeatable)
  --purge-scenario              run only the purge scenario: EC GET, keep-alive, open model at --rate (default 200/s)
                                for --duration without a purge, then while the recipient purges the expired capsules
  --expired N                   expired capsules for the purge scenario, besides --prefill live ones (default 1000000)
  --purge-timeout S             longest measurement during the purge (default 900)
  --out DIR                     output directory (default tmp/bench/<time>)`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], fallback: readonly T[], name: string): T[] {
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  const bad = items.filter((item) => !allowed.includes(item as T));
  if (bad.length || items.length === 0) throw new Error(`--${name} takes a comma-separated list of ${allowed.join(', ')}`);
  return items as T[];
}

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

export function parseBenchArgs(argv: readonly string[], now = new Date()): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      databases: { type: 'string' },
      'postgres-url': { type: 'string' },
      prefill: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'max-requests': { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      mixes: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      'no-open': { type: 'boolean' },
      'no-baseline': { type: 'boolean' },
      'no-openssl': { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      env: { type: 'string', multiple: true },
      workers: { type: 'string' },
      'node-option': { type: 'string', multiple: true },
      'purge-scenario': { type: 'boolean' },
      expired: { type: 'string' },
      'purge-timeout': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const postgresUrl = values['postgres-url'];
  const local = (url: string) => /^postgres(ql)?:\/\//.test(url) && URL.canParse(url) && ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
  if (postgresUrl !== undefined && !local(postgresUrl)) {
    throw new Error('--postgres-url must point at localhost: the benchmark loads only this machine');
  }
  const ccsEnv: Record<string, string> = {};
  for (const setting of values.env ?? []) {
    const match = /^(CCS_[A-Z0-9_]+)=(.*)$/s.exec(setting);
    if (!match) throw new Error('--env takes CCS_NAME=VALUE');
    ccsEnv[match[1]] = match[2];
  }
  return {
    ccsEnv,
    ccsNodeOptions: values['node-option'] ?? [],
    workers: values.workers === undefined ? undefined : Math.floor(positive(values.workers, 1, 'workers')),
    databases: list<Dialect>(values.databases, ['sqlite', 'postgres'], ['sqlite', 'postgres'], 'databases'),
    postgresUrl,
    prefill: values.prefill === '0' ? 0 : Math.floor(positive(values.prefill, 100_000, 'prefill')),
    durationMs: positive(values.duration, 5, 'duration') * 1000,
    warmupMs: values.warmup === '0' ? 0 : positive(values.warmup, 2, 'warmup') * 1000,
    maxRequests: Math.floor(positive(values['max-requests'], 1_000_000, 'max-requests')),
    concurrency: Math.floor(positive(values.concurrency, 16, 'concurrency')),
    rounds: Math.floor(positive(values.rounds, 2, 'rounds')),
    mixes: list<Mix>(values.mixes, MIXES, MIXES, 'mixes'),
    connections: list<ConnectionMode>(values.connections, ['close', 'keep-alive'], ['close', 'keep-alive'], 'connections'),
    openRate: values.rate === undefined ? undefined : positive(values.rate, 1, 'rate'),
    openModel: !values['no-open'],
    baseline: !values['no-baseline'],
    openssl: !values['no-openssl'],
    cpuProfile: Boolean(values['cpu-prof']),
    purge: values['purge-scenario']
      ? { expired: Math.floor(positive(values.expired, 1_000_000, 'expired')), timeoutMs: positive(values['purge-timeout'], 900, 'purge-timeout') * 1000 }
      : undefined,
    outDir: values.out ?? join(WORKSPACE, 'tmp/bench', now.toISOString().replace(/[:.]/g, '-')),
  };
}
