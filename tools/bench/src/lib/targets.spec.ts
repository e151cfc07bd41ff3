import { openDatabase } from '@ccs/persistence';
import { serviceNodeOptions } from '@ccs/platform';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBaseline } from './targets';
import { createBenchPki } from './workload';

describe('startBaseline', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ccs-targets-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs both baseline servers with the services' Node options", async () => {
    const pki = await createBenchPki(dir);
    const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
    // The bench's pre-fill creates the table before the servers start.
    await (await openDatabase(databaseUrl, { migrate: true })).close();
    const baseline = await startBaseline({ pki, databaseUrl, dir });
    try {
      for (const [role, pids] of [['sender', baseline.senderPids], ['recipient', baseline.recipientPids]] as const) {
        const options = serviceNodeOptions(join('dist/apps', role));
        for (const pid of pids) {
          const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          expect(args.slice(1, 1 + options.length)).toEqual(options);
        }
      }
    } finally {
      await baseline.stop();
    }
  });
});
