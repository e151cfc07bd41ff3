import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('cluster-launcher', () => {
  it.each([[['--import', 'tsx']], [['--import=tsx']]])("starts its workers with the primary's Node options but without the TypeScript loader (%j), and stops them on SIGTERM", (loader) => {
    const dir = mkdtempSync(join(tmpdir(), 'ccs-cluster-'));
    try {
      // A worker that reports its options, asks the primary to stop and waits for its SIGTERM.
      const worker = join(dir, 'worker.js');
      writeFileSync(worker, "console.log(JSON.stringify(process.execArgv)); process.kill(process.ppid, 'SIGTERM'); setInterval(() => {}, 1000);\n");
      const run = spawnSync(
        process.execPath,
        ['--max-semi-space-size=4', ...loader, '--max-old-space-size=1024', join(__dirname, 'cluster-launcher.ts'), '1', worker],
        { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json' } },
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout.trim())).toEqual(['--max-semi-space-size=4', '--max-old-space-size=1024']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
