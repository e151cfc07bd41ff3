import { BenchReport, Measurement, Scenario } from './bench';

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function errorsOf(m: Measurement): string {
  const entries = Object.entries(m.errors);
  return entries.length ? entries.map(([kind, n]) => `${kind}:${n}`).join(' ') : '0';
}

function row(scenario: Scenario, m: Measurement): string[] {
  const ratio = m.server === 'ccs' ? scenario.ratioToBaseline : undefined;
  return [
    scenario.database,
    scenario.connection,
    scenario.model === 'open' ? `open@${scenario.ratePerSecond}/s` : `closed@${scenario.concurrency}`,
    scenario.mix,
    m.server,
    fixed(m.requestsPerSecond, 0),
    fixed(m.latencyMs.p50, 2),
    fixed(m.latencyMs.p90, 2),
    fixed(m.latencyMs.p99, 2),
    fixed(m.latencyMs.max, 1),
    fixed(m.cpuMsPerRequest, 3),
    fixed(m.peakRssMb, 0),
    errorsOf(m),
    ratio === undefined ? '' : fixed(ratio, 2),
    m.server === 'ccs' && scenario.ratioToOpenssl !== undefined ? fixed(scenario.ratioToOpenssl, 2) : '',
  ];
}

const HEADER = ['db', 'connection', 'model', 'mix', 'server', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'cpu ms/req', 'peak RSS MB', 'errors', 'x baseline', 'x openssl'];

/** The human table: one line per server and scenario; ratios on the CCS lines (p99 ratio for the open model). */
export function formatReport(report: BenchReport): string {
  const rows = report.scenarios.flatMap((s) => s.measurements.map((m) => row(s, m)));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 5 && i !== 12 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [
    `CCS benchmark ${report.startedAt}: Node ${report.node}, ${report.cpus} CPUs, load average before ${report.loadAverageBefore.map((l) => fixed(l, 2)).join(' ')}, after ${report.loadAverageAfter.map((l) => fixed(l, 2)).join(' ')}`,
    line(HEADER),
    ...rows.map(line),
  ].join('\n');
}
