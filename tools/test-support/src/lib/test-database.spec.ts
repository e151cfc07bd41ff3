import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Client } from 'pg';
import { createTestDatabase, createTestSqliteDatabase, TEST_DATABASE_URL_VARIABLE } from './test-database';

async function databaseNames(): Promise<string[]> {
  const client = new Client({ connectionString: process.env[TEST_DATABASE_URL_VARIABLE] });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  it('creates a separate empty database per call and drops it', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a.url).not.toBe(b.url);
    const nameOf = (url: string) => new URL(url).pathname.slice(1);
    expect(await databaseNames()).toEqual(expect.arrayContaining([nameOf(a.url), nameOf(b.url)]));

    const client = new Client({ connectionString: a.url });
    await client.connect();
    const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    expect(rows[0].n).toBe(0);
    await client.end();

    await a.drop();
    await a.drop();
    await b.drop();
    expect(await databaseNames()).not.toEqual(expect.arrayContaining([nameOf(a.url)]));
    expect(await databaseNames()).not.toEqual(expect.arrayContaining([nameOf(b.url)]));
  });

  it('drops a database that still has an open connection', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    await db.drop();
    expect(await databaseNames()).not.toContain(new URL(db.url).pathname.slice(1));
  });
});

describe('createTestSqliteDatabase', () => {
  it('gives a sqlite: URL whose directory drop removes', async () => {
    const db = await createTestSqliteDatabase();
    expect(db.url).toBe(`sqlite:${db.path}`);
    await writeFile(db.path, 'x');
    await db.drop();
    expect(existsSync(db.path)).toBe(false);
  });
});
