import { openDatabase } from '@ccs/persistence';
import { createTestDatabase, TestDatabase } from '@ccs/test-support';
import { postgresHousekeeping } from './database';

describe('postgresHousekeeping', () => {
  let postgres: TestDatabase;
  beforeAll(async () => {
    postgres = await createTestDatabase();
    // The bench's pre-fill creates the table before the first measurement.
    await (await openDatabase(postgres.url, { migrate: true })).close();
  });
  afterAll(() => postgres.drop());

  // VACUUM and CHECKPOINT before each measurement are checked by the harness's PostgreSQL smoke run.
  it('says once that a user without the right to CHECKPOINT was refused, and then only goes on (VACUUM of a table it does not own only warns)', async () => {
    // pg_monitor may not run CHECKPOINT (superusers and pg_checkpoint may).
    const url = new URL(postgres.url);
    url.searchParams.set('options', '-c role=pg_monitor');
    const lines: string[] = [];
    const housekeeping = await postgresHousekeeping(url.toString(), (line) => lines.push(line));
    try {
      await housekeeping.beforeMeasurement();
      await housekeeping.beforeMeasurement();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^postgres: CHECKPOINT refused \(.*permission denied.*\); measurements go on without it$/);
    } finally {
      await housekeeping.close();
    }
  });
});
