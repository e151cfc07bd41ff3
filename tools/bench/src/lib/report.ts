import { BenchReport, Measurement, PurgeScenario, Scenario } from './bench';

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function errorsOf(m: Measurement): string {
  const entries = Object.entries(m.errors);
  return entries.length ? entries.map(([kind, n]) => `${kind}:${n}`).join(' ') : '0';
}

const modelOf = (scenario: Scenario) => (scenario.model === 'open' ? `open@${scenario.ratePerSecond}/s` : `closed@${scenario.concurrency}`);

function row(scenario: Scenario, m: Measurement): string[] {
  const ratio = m.server === 'ccs' ? scenario.ratioToBaseline : undefined;
  return [
    scenario.database,
    scenario.connection,
    modelOf(scenario),
    scenario.mix,
    m.server,
    fixed(m.requestsPerSecond, 0),
    fixed(m.latencyMs.p50, 2),
    fixed(m.latencyMs.p90, 2),
    fixed(m.latencyMs.p99, 2),
    fixed(m.latencyMs.max, 1),
    fixed(m.cpuMsPerRequest, 3),
    `${fixed(m.peakRssMbByService.sender, 0)} / ${fixed(m.peakRssMbByService.recipient, 0)}`,
    errorsOf(m),
    fixed(m.stealPercent, 1),
    fixed(m.runQueueWaitPercent, 0),
    m.ioStallPercent === null ? 'n/a' : fixed(m.ioStallPercent, 1),
    `${fixed(m.generatorLagMs.p99, 1)} / ${fixed(m.generatorLagMs.max, 1)}`,
    fixed(m.generatorCpuMsPerRequest, 3),
    String(m.newConnections),
    ratio === undefined ? '' : fixed(ratio, 2),
    m.server === 'ccs' && scenario.ratioToOpenssl !== undefined ? fixed(scenario.ratioToOpenssl, 2) : '',
  ];
}

const HEADER = ['db', 'connection', 'model', 'mix', 'server', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'cpu ms/req', 'peak RSS MB snd / rcp', 'errors', 'steal %', 'runq wait %', 'io stall %', 'gen lag p99/max ms', 'gen cpu ms/req', 'new conns', 'x baseline', 'x openssl'];

const PURGE_HEADER = ['db', 'live', 'expired', 'EC GET/s', 'p50/p99/max ms without', 'p50/p99/max ms during', 'p99 x', 'purge s', 'deleted', 'left', 'errors'];

function purgeRow(p: PurgeScenario): string[] {
  const latency = (m: Measurement) => `${fixed(m.latencyMs.p50, 2)} / ${fixed(m.latencyMs.p99, 2)} / ${fixed(m.latencyMs.max, 1)}`;
  return [
    p.database,
    String(p.live),
    String(p.expired),
    String(p.ratePerSecond),
    latency(p.withoutPurge),
    latency(p.duringPurge),
    p.p99Ratio === undefined ? '' : fixed(p.p99Ratio, 2),
    p.purge ? fixed(p.purge.durationMs / 1000, 1) : 'unfinished',
    p.purge ? String(p.purge.deleted) : '',
    String(p.remainingExpired),
    `${errorsOf(p.withoutPurge)} / ${errorsOf(p.duringPurge)}`,
  ];
}

function table(header: string[], rows: string[][], leftAligned: (i: number) => boolean): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (leftAligned(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** For loads of several request kinds: each kind's p99, to tell which makes the tail. */
function p99ByKind(scenarios: readonly Scenario[]): string[] {
  const lines = scenarios.flatMap((s) =>
    s.measurements
      .filter((m) => Object.keys(m.latencyMsByKind).length > 1)
      .map((m) => {
        const kinds = Object.entries(m.latencyMsByKind).map(([kind, latency]) => `${kind} ${fixed(latency.p99, 2)}`);
        return `${[s.database, s.connection, modelOf(s), s.mix, m.server].join(' ')}: ${kinds.join(', ')}`;
      }),
  );
  return lines.length ? ['', 'p99 ms by request kind', ...lines] : [];
}

/** The human table: one line per server and scenario; ratios on the CCS lines (p99 ratio for the open model). */
export function formatReport(report: BenchReport): string {
  const rows = report.scenarios.flatMap((s) => s.measurements.map((m) => row(s, m)));
  const purge = report.purge?.length ? ['', ...table(PURGE_HEADER, report.purge.map(purgeRow), (i) => i === 0 || i === 10)] : [];
  return [
    `CCS benchmark ${report.startedAt}: Node ${report.node}, ${report.cpus} CPUs, load average before ${report.loadAverageBefore.map((l) => fixed(l, 2)).join(' ')}, after ${report.loadAverageAfter.map((l) => fixed(l, 2)).join(' ')}`,
    ...(rows.length || !purge.length ? table(HEADER, rows, (i) => i < 5 || i === 12) : []),
    ...p99ByKind(report.scenarios),
    ...purge,
  ].join('\n');
}
