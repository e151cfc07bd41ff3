import { openDatabase } from '@ccs/persistence';
import { createTestDatabase, TestDatabase } from '@ccs/test-support';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchOptions, BenchReport, runBench } from './lib/bench';
import { formatReport } from './lib/report';

let outDir: string;
let postgres: TestDatabase;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'ccs-bench-spec-'));
  postgres = await createTestDatabase();
});

afterAll(async () => {
  await postgres.drop();
  rmSync(outDir, { recursive: true, force: true });
});

const smoke = (overrides: Partial<BenchOptions>): BenchOptions => ({
  databases: ['sqlite'],
  prefill: 300,
  durationMs: 120_000,
  warmupMs: 300,
  maxRequests: 200,
  concurrency: 4,
  rounds: 1,
  mixes: ['mixed'],
  connections: ['close', 'keep-alive'],
  openRate: 100,
  openModel: true,
  baseline: true,
  openssl: true,
  cpuProfile: false,
  outDir,
  ...overrides,
});

function expectCleanRun(report: BenchReport, expected: { database: string; connection: string; model: string; mix: string; servers: string[] }[]): void {
  expect(report.scenarios.map((s) => ({ database: s.database, connection: s.connection, model: s.model, mix: s.mix, servers: s.measurements.map((m) => m.server) }))).toEqual(expected);
  for (const scenario of report.scenarios) {
    for (const m of scenario.measurements) {
      expect({ server: m.server, errors: m.errors, ok: m.ok }).toEqual({ server: m.server, errors: {}, ok: 200 });
      expect(m.requestsPerSecond).toBeGreaterThan(0);
      expect(m.latencyMs.p50).toBeLessThanOrEqual(m.latencyMs.p99);
      expect(m.latencyMs.p99).toBeLessThanOrEqual(m.latencyMs.max);
      expect(m.cpuMsPerRequest).toBeGreaterThan(0);
      expect(m.peakRssMbByService.sender).toBeGreaterThan(1);
      expect(m.peakRssMbByService.recipient).toBeGreaterThan(1);
      expect(m.stealPercent).toBeGreaterThanOrEqual(0);
      expect(m.stealPercent).toBeLessThanOrEqual(100);
      expect(m.runQueueWaitPercent).toBeGreaterThanOrEqual(0);
      expect(m.ioStallPercent === null || (m.ioStallPercent >= 0 && m.ioStallPercent <= 100)).toBe(true);
      expect(m.generatorLagMs.p99).toBeGreaterThanOrEqual(0);
      expect(m.generatorLagMs.p99).toBeLessThanOrEqual(m.generatorLagMs.max);
      expect(m.generatorCpuMsPerRequest).toBeGreaterThan(0);
    }
    expect(scenario.ratioToBaseline).toBeGreaterThan(0);
  }
}

describe('the benchmark harness, in a smoke run against the built services', () => {
  it('runs every connection mode and load model on SQLite with the baselines and reports no errors', async () => {
    const report = await runBench(smoke({ mixes: ['mixed', 'ec-get'], cpuProfile: true }));
    const closed = (connection: string, mix: string, servers: string[]) => ({ database: 'sqlite', connection, model: 'closed', mix, servers });
    expectCleanRun(report, [
      closed('close', 'mixed', ['ccs', 'baseline']),
      closed('close', 'ec-get', ['ccs', 'baseline', 'openssl']),
      closed('keep-alive', 'mixed', ['ccs', 'baseline']),
      closed('keep-alive', 'ec-get', ['ccs', 'baseline']),
      { database: 'sqlite', connection: 'close', model: 'open', mix: 'mixed', servers: ['ccs', 'baseline'] },
      { database: 'sqlite', connection: 'keep-alive', model: 'open', mix: 'mixed', servers: ['ccs', 'baseline'] },
    ]);
    expect(report.scenarios[1].ratioToOpenssl).toBeGreaterThan(0);
    // One main-thread profile per service (CPU.<date>.<time>.<pid>.<thread>.<n>); worker threads would write their own.
    expect(readdirSync(join(outDir, 'profiles-sqlite')).filter((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name))).toHaveLength(2);
    // The baseline's sender and recipient are profiled too (each process under tsx may write more than one profile).
    expect(readdirSync(join(outDir, 'profiles-sqlite', 'baseline')).filter((name) => name.endsWith('.cpuprofile')).length).toBeGreaterThanOrEqual(2);
    const table = formatReport(report).split('\n');
    expect(table[1]).toMatch(/^db\s+connection\s+model\s+mix\s+server\s+req\/s/);
    // The table's 13 rows, then the p99 of each request kind for the 8 measurements of the mixed load.
    expect(table.slice(15, 17)).toEqual(['', 'p99 ms by request kind']);
    expect(table.slice(17)).toHaveLength(8);
    expect(table[17]).toMatch(/^sqlite close closed@4 mixed ccs: ec-post [\d.]+, rsa-post [\d.]+, ec-get [\d.]+, rsa-get [\d.]+$/);
  });

  it('runs the mixed load on PostgreSQL, each measurement after a VACUUM of the table and a CHECKPOINT', async () => {
    const counts = async () => {
      const database = await openDatabase(postgres.url);
      try {
        const [checkpoints] = await database.dataSource.query('SELECT num_requested FROM pg_stat_checkpointer');
        const vacuums = await database.dataSource.query("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'key_capsule'");
        return { checkpoints: Number(checkpoints.num_requested), vacuums: Number(vacuums[0]?.vacuum_count ?? 0) };
      } finally {
        await database.close();
      }
    };
    const before = await counts();
    const report = await runBench(smoke({ databases: ['postgres'], postgresUrl: postgres.url, openssl: false }));
    const after = await counts();
    // Four scenarios, two servers, one round: eight measurements (the checkpoint statistics are shared by the server's databases).
    expect(after.checkpoints - before.checkpoints).toBeGreaterThanOrEqual(8);
    expect(after.vacuums - before.vacuums).toBe(8);
    expectCleanRun(report, [
      { database: 'postgres', connection: 'close', model: 'closed', mix: 'mixed', servers: ['ccs', 'baseline'] },
      { database: 'postgres', connection: 'keep-alive', model: 'closed', mix: 'mixed', servers: ['ccs', 'baseline'] },
      { database: 'postgres', connection: 'close', model: 'open', mix: 'mixed', servers: ['ccs', 'baseline'] },
      { database: 'postgres', connection: 'keep-alive', model: 'open', mix: 'mixed', servers: ['ccs', 'baseline'] },
    ]);
  });

  it('runs the purge scenario: the recipient deletes every expired capsule while GETs are measured', async () => {
    // The databases' own batch sizes (25 rows on SQLite), and profiles of the services as in the other scenarios.
    const report = await runBench(smoke({ databases: ['sqlite', 'postgres'], postgresUrl: postgres.url, durationMs: 1000, purge: { expired: 2000, timeoutMs: 60_000 }, cpuProfile: true }));
    expect(report.scenarios).toEqual([]);
    expect(report.purge?.map((p) => ({ database: p.database, expired: p.expired, deleted: p.purge?.deleted, left: p.remainingExpired }))).toEqual([
      { database: 'sqlite', expired: 2000, deleted: 2000, left: 0 },
      { database: 'postgres', expired: 2000, deleted: 2000, left: 0 },
    ]);
    for (const p of report.purge ?? []) {
      expect([p.withoutPurge.errors, p.duringPurge.errors]).toEqual([{}, {}]);
      expect(p.withoutPurge.ok).toBeGreaterThan(0);
    }
    expect(formatReport(report)).toMatch(/p99 x\s+purge s/);
    for (const database of ['sqlite', 'postgres']) {
      expect(readdirSync(join(outDir, `profiles-purge-${database}`)).filter((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name))).toHaveLength(2);
    }
  });
});
