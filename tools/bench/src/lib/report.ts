import { BenchReport, Measurement, PurgeScenario, Scenario } from './bench';
import type { ServerKind } from './targets';
import { OPERATIONS } from './workload';

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

/** p50 / p99 / max of a measurement, as the purge tables give them. */
const latencyTriple = (m: Measurement, digits: number) => `${fixed(m.latencyMs.p50, digits)} / ${fixed(m.latencyMs.p99, digits)} / ${fixed(m.latencyMs.max, Math.min(digits, 1))}`;

function purgeRow(p: PurgeScenario): string[] {
  return [
    p.database,
    String(p.live),
    String(p.expired),
    String(p.ratePerSecond),
    latencyTriple(p.withoutPurge, 2),
    latencyTriple(p.duringPurge, 2),
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

const MARKDOWN_HEADER = ['db', 'connection', 'model', 'mix', 'CCS req/s', 'baseline req/s', '× baseline', 'CCS p50 / p99 ms', 'baseline p50 / p99 ms', 'CCS CPU ms/req', 'baseline CPU ms/req',
  'CCS peak RSS MB snd / rcp', 'baseline peak RSS MB snd / rcp', 'steal %', 'runq wait %', 'io stall %', 'gen lag max ms', 'gen CPU ms/req', 'errors'];

const serverOf = (s: Scenario, kind: ServerKind) => s.measurements.find((m) => m.server === kind);
const modelLabel = (s: Scenario) => (s.model === 'open' ? `open, ${s.ratePerSecond}/s` : `closed, ${s.concurrency}`);

function markdownTable(header: string[], rightFrom: number, rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < rightFrom ? '---' : '--:'))), ...rows.map(line)];
}

function markdownRow(s: Scenario): string[] {
  const ccs = serverOf(s, 'ccs');
  const baseline = serverOf(s, 'baseline');
  // Each cell shows CCS, or "CCS / baseline" where a figure is measured for both.
  const both = (f: (m: Measurement) => string) => (ccs ? f(ccs) : '—') + (baseline ? ` / ${f(baseline)}` : '');
  const only = (m: Measurement | undefined, f: (m: Measurement) => string) => (m ? f(m) : '—');
  const ratio = s.ratioToBaseline === undefined ? '—' : s.model === 'open' ? `p99 ${fixed(s.ratioToBaseline, 2)}` : `**${fixed(s.ratioToBaseline, 2)}**`;
  return [
    s.database,
    s.connection,
    modelLabel(s),
    s.mix,
    only(ccs, (m) => fixed(m.requestsPerSecond, 0)),
    only(baseline, (m) => fixed(m.requestsPerSecond, 0)),
    ratio,
    only(ccs, (m) => `${fixed(m.latencyMs.p50)} / ${fixed(m.latencyMs.p99)}`),
    only(baseline, (m) => `${fixed(m.latencyMs.p50)} / ${fixed(m.latencyMs.p99)}`),
    only(ccs, (m) => fixed(m.cpuMsPerRequest, 2)),
    only(baseline, (m) => fixed(m.cpuMsPerRequest, 2)),
    only(ccs, (m) => `${fixed(m.peakRssMbByService.sender, 0)} / ${fixed(m.peakRssMbByService.recipient, 0)}`),
    only(baseline, (m) => `${fixed(m.peakRssMbByService.sender, 0)} / ${fixed(m.peakRssMbByService.recipient, 0)}`),
    both((m) => fixed(m.stealPercent)),
    both((m) => fixed(m.runQueueWaitPercent, 0)),
    both((m) => (m.ioStallPercent === null ? 'n/a' : fixed(m.ioStallPercent))),
    both((m) => fixed(m.generatorLagMs.max, 0)),
    both((m) => fixed(m.generatorCpuMsPerRequest, 2)),
    both(errorsOf),
  ];
}

function opensslRow(s: Scenario): string[] | undefined {
  const ccs = serverOf(s, 'ccs');
  const openssl = serverOf(s, 'openssl');
  if (!ccs || !openssl || s.ratioToOpenssl === undefined) return undefined;
  return [
    s.database,
    fixed(openssl.requestsPerSecond, 0),
    fixed(ccs.requestsPerSecond, 0),
    fixed(s.ratioToOpenssl, 2),
    fixed(openssl.cpuMsPerRequest, 2),
    fixed(ccs.cpuMsPerRequest, 2),
    fixed(openssl.cpuMsPerRequest / ccs.cpuMsPerRequest, 2),
  ];
}

function kindRow(s: Scenario): string[] {
  const ccs = serverOf(s, 'ccs');
  const baseline = serverOf(s, 'baseline');
  const p99 = (m: Measurement | undefined, kind: string) => (m?.latencyMsByKind[kind] ? fixed(m.latencyMsByKind[kind].p99) : '—');
  return [s.database, s.connection, modelLabel(s), ...OPERATIONS.map((kind) => `${p99(ccs, kind)} / ${p99(baseline, kind)}`)];
}

function purgeMarkdownRow(p: PurgeScenario): string[] {
  return [
    p.database,
    String(p.expired),
    latencyTriple(p.withoutPurge, 1),
    latencyTriple(p.duringPurge, 1),
    p.p99Ratio === undefined ? '—' : fixed(p.p99Ratio, 2),
    p.purge ? `${fixed(p.purge.durationMs / 1000)} s` : 'unfinished',
    String(p.remainingExpired),
  ];
}

/**
 * The run as the Markdown tables of docs/performance.md: one row per scenario with CCS beside the
 * baseline, the handshake comparison with openssl s_server, each request kind's p99 under the
 * mixed load's open model, and the purge scenario.
 */
export function formatMarkdown(report: BenchReport): string {
  const opensslRows = report.scenarios.map(opensslRow).filter((row): row is string[] => row !== undefined);
  const openMixed = report.scenarios.filter((s) => s.model === 'open' && s.mix === 'mixed');
  return [
    `Run of ${report.startedAt}: Node ${report.node}, ${report.cpus} CPUs, load average ${fixed(report.loadAverageBefore[0])} before and ${fixed(report.loadAverageAfter[0])} after.`,
    ...(report.scenarios.length ? ['', ...markdownTable(MARKDOWN_HEADER, 4, report.scenarios.map(markdownRow))] : []),
    ...(opensslRows.length
      ? ['', ...markdownTable(['db', 'openssl s_server handshakes/s', 'CCS EC GET req/s (new connection)', '× openssl by rate', 'openssl CPU ms/handshake', 'CCS CPU ms/GET', '× openssl by CPU'], 1, opensslRows)]
      : []),
    ...(openMixed.length ? ['', 'p99 ms of each request kind under the mixed load, open model, CCS / baseline:', '', ...markdownTable(['db', 'connection', 'model', 'EC POST', 'RSA POST', 'EC GET', 'RSA GET'], 3, openMixed.map(kindRow))] : []),
    ...(report.purge?.length
      ? ['', ...markdownTable(['db', 'expired', 'GET p50 / p99 / max ms, no purge', 'GET p50 / p99 / max ms, during the purge', 'p99 ×', 'purge', 'left'], 1, report.purge.map(purgeMarkdownRow))]
      : []),
  ].join('\n');
}
