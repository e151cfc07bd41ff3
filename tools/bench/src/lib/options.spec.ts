import { parseBenchArgs } from './options';

describe('parseBenchArgs', () => {
  it('defaults to the full run: both databases, all mixes, both connection modes, 100 000 capsules', () => {
    const options = parseBenchArgs([], new Date('2026-01-02T03:04:05.678Z'));
    expect(options).toMatchObject({
      databases: ['sqlite', 'postgres'],
      prefill: 100_000,
      warmupMs: 2000,
      mixes: ['mixed', 'ec-post', 'rsa-post', 'ec-get', 'rsa-get'],
      connections: ['close', 'keep-alive'],
      openModel: true,
      baseline: true,
      openssl: true,
      outDir: expect.stringMatching(/tmp\/bench\/2026-01-02T03-04-05-678Z$/),
    });
  });

  it('refuses a PostgreSQL that is not on this machine and unknown list items', () => {
    expect(() => parseBenchArgs(['--postgres-url', 'postgres://u:p@db.example.org/ccs'])).toThrow(/localhost/);
    expect(() => parseBenchArgs(['--mixes', 'mixed,delete'])).toThrow(/--mixes/);
    expect(parseBenchArgs(['--postgres-url', 'postgres://u:p@127.0.0.1:5432/ccs', '--duration', '0.5'])).toMatchObject({ durationMs: 500 });
    expect(parseBenchArgs(['--warmup', '0'])).toMatchObject({ warmupMs: 0 });
    expect(() => parseBenchArgs(['--warmup', '-1'])).toThrow(/--warmup/);
  });

  it('runs the purge scenario only when asked, with a million expired capsules by default', () => {
    expect(parseBenchArgs([])).toMatchObject({ purge: undefined });
    expect(parseBenchArgs(['--purge-scenario'])).toMatchObject({ purge: { expired: 1_000_000, timeoutMs: 900_000 } });
    expect(parseBenchArgs(['--purge-scenario', '--expired', '2000', '--purge-timeout', '60'])).toMatchObject({ purge: { expired: 2000, timeoutMs: 60_000 } });
    expect(() => parseBenchArgs(['--purge-scenario', '--expired', '0'])).toThrow(/--expired/);
  });
});
