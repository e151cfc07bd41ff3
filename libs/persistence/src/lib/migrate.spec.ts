import { createTestDatabase, createTestSqliteDatabase, TestDatabase } from '@ccs/test-support';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { KeyCapsuleDatabase, openDatabase } from './open-database';
import { migrate, pendingMigrations } from './migrate';

const ALL_MIGRATIONS = ['CreateKeyCapsule1767225600000'];

const DIALECTS = [
  { dialect: 'sqlite', createDatabase: createTestSqliteDatabase },
  { dialect: 'postgres', createDatabase: createTestDatabase },
] as const;

async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] =
    dataSource.options.type === 'postgres'
      ? await dataSource.query("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
      : await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  return rows.map((row) => row.name).sort();
}

async function appliedMigrations(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] = await dataSource.query('SELECT name FROM migrations ORDER BY id');
  return rows.map((row) => row.name);
}

describe.each(DIALECTS)('migrate on $dialect', ({ createDatabase }) => {
  let testDb: TestDatabase;
  const opened: KeyCapsuleDatabase[] = [];
  const open = async () => {
    const db = await openDatabase(testDb.url);
    opened.push(db);
    return db;
  };

  beforeEach(async () => {
    testDb = await createDatabase();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
    await testDb.drop();
  });

  it('reports the migrations of an empty database as pending without creating anything', async () => {
    const db = await open();
    expect(await pendingMigrations(db.dataSource)).toEqual(ALL_MIGRATIONS);
    expect(await tableNames(db.dataSource)).toEqual([]);
  });

  it('creates the schema on an empty database, and a second run changes nothing', async () => {
    const db = await open();
    expect(await migrate(db.dataSource)).toEqual(ALL_MIGRATIONS);
    expect(await tableNames(db.dataSource)).toEqual(['key_capsule', 'migrations']);
    expect(await pendingMigrations(db.dataSource)).toEqual([]);

    expect(await migrate(db.dataSource)).toEqual([]);
    expect(await appliedMigrations(db.dataSource)).toEqual(ALL_MIGRATIONS);
  });

  it('lets several data sources migrate the same empty database at once', async () => {
    const instances = await Promise.all([open(), open(), open(), open()]);
    const results = await Promise.all(instances.map((db) => migrate(db.dataSource)));
    expect(results.filter((applied) => applied.length > 0)).toEqual([ALL_MIGRATIONS]);
    expect(await appliedMigrations(instances[0].dataSource)).toEqual(ALL_MIGRATIONS);
  });
});

describe('migrate on SQLite from separate processes', () => {
  let testDb: TestDatabase;
  beforeEach(async () => {
    testDb = await createTestSqliteDatabase();
  });
  afterEach(() => testDb.drop());

  it('applies the migrations once when several processes start on an empty file at once', async () => {
    const processes = [1, 2, 3, 4].map(() => migrateInChildProcess(testDb.url));
    try {
      await Promise.all(processes.map((child) => child.ready));
      processes.forEach((child) => child.go());
      const results = await Promise.all(processes.map((child) => child.applied));
      expect(results.filter((applied) => applied.length > 0)).toEqual([ALL_MIGRATIONS]);
    } finally {
      processes.forEach((child) => child.kill());
    }

    const db = await openDatabase(testDb.url);
    try {
      expect(await appliedMigrations(db.dataSource)).toEqual(ALL_MIGRATIONS);
    } finally {
      await db.close();
    }
  }, 60_000);
});

const WORKSPACE = join(__dirname, '../../../..');

// Each child opens the database, says "ready", and migrates when told "go", so that all of them
// reach migrate() at the same moment.
const CHILD = `
const { openDatabase, migrate } = require(${JSON.stringify(join(__dirname, '../index.ts'))});
(async () => {
  const db = await openDatabase(process.argv[1]);
  process.stdout.write('ready\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const applied = await migrate(db.dataSource);
  await db.close();
  process.stdout.write(JSON.stringify(applied) + '\\n');
  process.stdin.destroy();
})().catch((error) => { console.error(error); process.exit(1); });
`;

interface MigratingChild {
  readonly ready: Promise<void>;
  readonly applied: Promise<string[]>;
  go(): void;
  kill(): void;
}

function migrateInChildProcess(url: string): MigratingChild {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD, url], {
    cwd: WORKSPACE,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(WORKSPACE, 'tsconfig.base.json') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const applied = new Promise<string[]>((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`migrating child exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.split('\n')[1]) as string[]);
    });
  });
  applied.catch(() => undefined);
  return {
    ready: Promise.race([ready, applied.then(() => undefined)]),
    applied,
    go: () => child.stdin.write('go\n'),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
