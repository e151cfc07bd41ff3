import { createTestDatabase, createTestSqliteDatabase, TestDatabase } from '@ccs/test-support';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POOL_SIZE, SQLITE_BUSY_TIMEOUT_MS } from './data-source';
import { openDatabase } from './open-database';

describe('openDatabase', () => {
  it('rejects an unknown scheme, naming CCS_DATABASE_URL but not the URL', async () => {
    const url = 'mysql://ccs:hunter2@db.example:3306/ccs';
    const failure = openDatabase(url);
    await expect(failure).rejects.toThrow('CCS_DATABASE_URL');
    const message = await failure.catch((error: Error) => `${error.message}\n${error.stack ?? ''}`);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('db.example');
  });

  describe('on SQLite', () => {
    let testDb: TestDatabase & { path: string };
    beforeEach(async () => {
      testDb = await createTestSqliteDatabase();
    });
    afterEach(() => testDb.drop());

    it('creates missing parent directories', async () => {
      const path = join(testDb.path, '..', 'nested', 'deeper', 'ccs.sqlite');
      const db = await openDatabase(`sqlite:${path}`, { migrate: true });
      await db.close();
      expect(existsSync(path)).toBe(true);
    });

    it('uses WAL, synchronous=NORMAL (inserts flush the log themselves) and a busy timeout', async () => {
      const db = await openDatabase(testDb.url);
      try {
        const pragma = async (name: string) => Object.values((await db.dataSource.query(`PRAGMA ${name}`))[0])[0];
        expect(await pragma('journal_mode')).toBe('wal');
        expect(await pragma('synchronous')).toBe(1);
        expect(await pragma('busy_timeout')).toBe(SQLITE_BUSY_TIMEOUT_MS);
      } finally {
        await db.close();
      }
    });

    it('purges in batches of 25', async () => {
      const db = await openDatabase(testDb.url);
      await db.close();
      expect(db.purgeBatchSize).toBe(25);
    });

    it('restores the busy timeout after migrating', async () => {
      const db = await openDatabase(testDb.url, { migrate: true });
      try {
        expect(await db.dataSource.query('PRAGMA busy_timeout')).toEqual([{ timeout: SQLITE_BUSY_TIMEOUT_MS }]);
      } finally {
        await db.close();
      }
    });

    it('refuses to open an unmigrated database for a service told not to migrate, and opens it once migrated', async () => {
      await expect(openDatabase(testDb.url, { migrate: false })).rejects.toThrow(/not up to date: run npm run db:migrate/);
      await (await openDatabase(testDb.url, { migrate: true })).close();
      await (await openDatabase(testDb.url, { migrate: false })).close();
    });

    it('can be closed twice', async () => {
      const db = await openDatabase(testDb.url);
      await db.close();
      await expect(db.close()).resolves.toBeUndefined();
      expect(db.dataSource.isInitialized).toBe(false);
    });
  });

  describe('on PostgreSQL', () => {
    let testDb: TestDatabase;
    beforeAll(async () => {
      testDb = await createTestDatabase();
    });
    afterAll(() => testDb.drop());

    const poolMax = (db: { dataSource: { driver: unknown } }) => (db.dataSource.driver as { master: { options: { max: number } } }).master.options.max;

    it('pools 10 connections unless told otherwise', async () => {
      const defaults = await openDatabase(testDb.url);
      const small = await openDatabase(testDb.url, { poolSize: 3 });
      try {
        expect(poolMax(defaults)).toBe(DEFAULT_POOL_SIZE);
        expect(DEFAULT_POOL_SIZE).toBe(10);
        expect(poolMax(small)).toBe(3);
      } finally {
        await Promise.all([defaults.close(), small.close()]);
      }
    });

    it('purges in batches of 1000', async () => {
      const db = await openDatabase(testDb.url);
      await db.close();
      expect(db.purgeBatchSize).toBe(1000);
    });

    it('migrates through a single pooled connection and leaves its statement timeout in place', async () => {
      const db = await openDatabase(testDb.url, { migrate: true, poolSize: 1 });
      try {
        expect(await db.dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '30s' }]);
      } finally {
        await db.close();
      }
    });

    it('can be closed twice', async () => {
      const db = await openDatabase(testDb.url);
      await db.close();
      await expect(db.close()).resolves.toBeUndefined();
    });
  });
});
