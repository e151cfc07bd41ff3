import { generateTestPki, writeTestPki } from '@ccs/test-pki';
import { createTestDatabase, createTestSqliteDatabase, serviceEnvironment, startService, TestDatabase } from '@ccs/test-support';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WORKSPACE = join(__dirname, '../../..');

/** Runs a built program with only these CCS_* settings; resolves with its exit code and output. */
function run(program: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CCS_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [join(WORKSPACE, program)], { cwd: WORKSPACE, env: { ...inherited, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
  });
}

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ccs-e2e-migrations-'));
  writeTestPki(await generateTestPki({ clientKeys: ['P-256'] }), join(dir, 'pki'));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['sqlite', 'postgres'] as const)('migrations for operators on %s', (dialect) => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = dialect === 'sqlite' ? await createTestSqliteDatabase() : await createTestDatabase();
  });

  afterEach(() => database.drop());

  it('a service told not to migrate refuses an empty database, naming the command that fixes it', async () => {
    const env = await serviceEnvironment(join(dir, 'pki'), database.url, { CCS_DATABASE_MIGRATE: 'false' });
    const started = await run('dist/apps/sender/main.js', env);
    expect(started.code).toBe(1);
    expect(started.output).toContain('run npm run db:migrate');
  });

  it('npm run db:migrate prepares the database once, and such a service then starts', async () => {
    const env = await serviceEnvironment(join(dir, 'pki'), database.url, { CCS_DATABASE_MIGRATE: 'false' });
    for (let i = 0; i < 2; i++) {
      expect(await run('dist/tools/db-migrate/main.js', { CCS_DATABASE_URL: database.url })).toEqual({
        code: 0,
        output: 'database schema is up to date\n',
      });
    }
    const recipient = await startService('recipient', env);
    expect(await recipient.stop()).toBe(0);
  });

  it('db:migrate names a bad CCS_DATABASE_URL without repeating it', async () => {
    const result = await run('dist/tools/db-migrate/main.js', { CCS_DATABASE_URL: 'mysql://ccs:hunter2@db/ccs' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('CCS_DATABASE_URL');
    expect(result.output).not.toContain('hunter2');
  });
});
