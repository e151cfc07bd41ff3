import { openDatabase } from '@ccs/persistence';
import { SERVICE_NODE_OPTIONS } from '@ccs/platform';
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
      for (const pid of [...baseline.senderPids, ...baseline.recipientPids]) {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        expect(args.slice(1, 1 + SERVICE_NODE_OPTIONS.length)).toEqual(SERVICE_NODE_OPTIONS);
      }
    } finally {
      await baseline.stop();
    }
  });
});
