import { BenchReport, Measurement, PurgeScenario, Scenario } from './bench';
import type { Dialect } from './database';
import { formatMarkdown } from './report';
import type { ServerKind } from './targets';

const latency = (p50: number, p99: number) => ({ p50, p90: p99, p99, max: p99 * 2 });

function measurement(server: ServerKind, figures: { rate: number; p99: number; cpu: number; kinds?: Record<string, number> }): Measurement {
  return {
    server,
    requests: 100,
    ok: 100,
    requestsPerSecond: figures.rate,
    latencyMs: latency(1.25, figures.p99),
    latencyMsByKind: Object.fromEntries(Object.entries(figures.kinds ?? { 'ec-get': figures.p99 }).map(([kind, p99]) => [kind, latency(1, p99)])),
    errors: server === 'baseline' ? { timeout: 2 } : {},
    cpuMsPerRequest: figures.cpu,
    peakRssMbByService: { sender: 120.4, recipient: 99.6 },
    stealPercent: 0.04,
    runQueueWaitPercent: 51.4,
    ioStallPercent: server === 'ccs' ? 3.25 : null,
    generatorLagMs: { p99: 2, max: 7.6 },
    newConnections: 0,
    generatorCpuMsPerRequest: 0.123,
    rounds: 2,
  };
}

const scenario = (fields: Partial<Scenario> & Pick<Scenario, 'measurements'>): Scenario => ({
  database: 'sqlite',
  connection: 'close',
  model: 'closed',
  mix: 'ec-get',
  concurrency: 16,
  ...fields,
});

const report = (scenarios: Scenario[]): BenchReport => ({
  startedAt: '2026-12-06T20:03:42.993Z',
  node: 'v20.20.2',
  cpus: 2,
  loadAverageBefore: [0.66, 1.5, 1.74],
  loadAverageAfter: [2.56, 2.43, 2.14],
  options: {} as BenchReport['options'],
  scenarios,
});

describe('formatMarkdown', () => {
  const kinds = { 'ec-post': 12.61, 'rsa-post': 12.2, 'ec-get': 5.2, 'rsa-get': 5.3 };
  const lines = formatMarkdown(
    report([
      scenario({
        ratioToBaseline: 1.0412,
        ratioToOpenssl: 157 / 65,
        measurements: [measurement('ccs', { rate: 157, p99: 157.79, cpu: 4.799 }), measurement('baseline', { rate: 150.8, p99: 156.46, cpu: 4.999 }), measurement('openssl', { rate: 65, p99: 282, cpu: 8.017 })],
      }),
      scenario({
        connection: 'keep-alive',
        model: 'open',
        mix: 'mixed',
        ratePerSecond: 1551,
        ratioToBaseline: 1.156,
        measurements: [measurement('ccs', { rate: 1549, p99: 8.9, cpu: 0.513, kinds }), measurement('baseline', { rate: 1550, p99: 7.7, cpu: 0.391, kinds: { ...kinds, 'ec-post': 8.5 } })],
      }),
      scenario({ mix: 'rsa-post', measurements: [measurement('ccs', { rate: 230, p99: 132.5, cpu: 1.892 })] }),
    ]),
  ).split('\n');

  it('writes one row per scenario, CCS beside the baseline, with the ratio bold for the closed model and as a p99 ratio for the open one', () => {
    expect(lines[0]).toBe('Run of 2026-12-06T20:03:42.993Z: Node v20.20.2, 2 CPUs, load average 0.7 before and 2.6 after.');
    expect(lines[2]).toMatch(/^\| db \| connection \| model \| mix \| CCS req\/s \| baseline req\/s \| × baseline \|/);
    expect(lines[3]).toBe(`| ${['---', '---', '---', '---', ...Array(15).fill('--:')].join(' | ')} |`);
    expect(lines[4]).toBe(
      '| sqlite | close | closed, 16 | ec-get | 157 | 151 | **1.04** | 1.3 / 157.8 | 1.3 / 156.5 | 4.80 | 5.00 | 120 / 100 | 120 / 100 | 0.0 / 0.0 | 51 / 51 | 3.3 / n/a | 8 / 8 | 0.12 / 0.12 | 0 / timeout:2 |',
    );
    expect(lines[5]).toMatch(/^\| sqlite \| keep-alive \| open, 1551\/s \| mixed \| 1549 \| 1550 \| p99 1\.16 \| 1\.3 \/ 8\.9 \| 1\.3 \/ 7\.7 \|/);
  });

  it('leaves the baseline cells empty where no baseline ran', () => {
    expect(lines[6]).toBe('| sqlite | close | closed, 16 | rsa-post | 230 | — | — | 1.3 / 132.5 | — | 1.89 | — | 120 / 100 | — | 0.0 | 51 | 3.3 | 8 | 0.12 | 0 |');
  });

  it('compares the handshake with openssl s_server by rate and by CPU', () => {
    const at = lines.indexOf('| db | openssl s_server handshakes/s | CCS EC GET req/s (new connection) | × openssl by rate | openssl CPU ms/handshake | CCS CPU ms/GET | × openssl by CPU |');
    expect(at).toBeGreaterThan(6);
    expect(lines[at + 2]).toBe('| sqlite | 65 | 157 | 2.42 | 8.02 | 4.80 | 1.67 |');
  });

  it("gives each request kind's p99 under the open model of the mixed load", () => {
    expect(lines.slice(-3)).toEqual([
      '| db | connection | model | EC POST | RSA POST | EC GET | RSA GET |',
      '| --- | --- | --- | --: | --: | --: | --: |',
      '| sqlite | keep-alive | open, 1551/s | 12.6 / 8.5 | 12.2 / 12.2 | 5.2 / 5.2 | 5.3 / 5.3 |',
    ]);
  });
});

describe('formatMarkdown of the purge scenario', () => {
  const purgeOn = (database: Dialect, p99: { without: number; during: number }, rest: Pick<PurgeScenario, 'remainingExpired' | 'purge' | 'p99Ratio'>): PurgeScenario => ({
    database,
    expired: 1_000_000,
    live: 100_000,
    ratePerSecond: 200,
    withoutPurge: measurement('ccs', { rate: 200, p99: p99.without, cpu: 0.3 }),
    duringPurge: measurement('ccs', { rate: 200, p99: p99.during, cpu: 0.4 }),
    ...rest,
  });

  it('gives each database a row with the GETs without and during the purge, and how long the purge took', () => {
    const purged: BenchReport = {
      ...report([]),
      purge: [
        purgeOn('sqlite', { without: 3.95, during: 4.91 }, { purge: { deleted: 1_000_000, durationMs: 176_640 }, remainingExpired: 0, p99Ratio: 1.243 }),
        purgeOn('postgres', { without: 6.89, during: 900_000 }, { remainingExpired: 412_000 }),
      ],
    };
    expect(formatMarkdown(purged).split('\n').slice(1)).toEqual([
      '',
      '| db | expired | GET p50 / p99 / max ms, no purge | GET p50 / p99 / max ms, during the purge | p99 × | purge | left |',
      '| --- | --: | --: | --: | --: | --: | --: |',
      '| sqlite | 1000000 | 1.3 / 4.0 / 7.9 | 1.3 / 4.9 / 9.8 | 1.24 | 176.6 s | 0 |',
      '| postgres | 1000000 | 1.3 / 6.9 / 13.8 | 1.3 / 900000.0 / 1800000.0 | — | unfinished | 412000 |',
    ]);
  });
});
