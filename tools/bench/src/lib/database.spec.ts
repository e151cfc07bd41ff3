import { createTestDatabase, TestDatabase } from '@ccs/test-support';
import { checkpointer } from './database';

describe('checkpointer', () => {
  let postgres: TestDatabase;
  beforeAll(async () => (postgres = await createTestDatabase()));
  afterAll(() => postgres.drop());

  // Running CHECKPOINT before each measurement is checked by the harness's PostgreSQL smoke run.
  it('says once that a user without the right to CHECKPOINT was refused, and then only goes on', async () => {
    // pg_monitor may not run CHECKPOINT (superusers and pg_checkpoint may).
    const url = new URL(postgres.url);
    url.searchParams.set('options', '-c role=pg_monitor');
    const lines: string[] = [];
    const housekeeping = await checkpointer(url.toString(), (line) => lines.push(line));
    try {
      await housekeeping.checkpoint();
      await housekeeping.checkpoint();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^postgres: CHECKPOINT refused \(.*permission denied.*\); measurements go on without it$/);
    } finally {
      await housekeeping.close();
    }
  });
});
