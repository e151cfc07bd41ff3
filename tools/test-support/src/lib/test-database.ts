import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** Superuser URL of the PostgreSQL server the tests create their databases on. */
export const TEST_DATABASE_URL_VARIABLE = 'CCS_TEST_DATABASE_URL';

export interface TestDatabase {
  /** A database URL in the form the apps read from `CCS_DATABASE_URL`. */
  readonly url: string;
  /** Removes the database; calling it again does nothing. */
  drop(): Promise<void>;
}

/** A new, empty PostgreSQL database with a unique name, so that test files do not see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env[TEST_DATABASE_URL_VARIABLE];
  if (!adminUrl) {
    throw new Error(
      `${TEST_DATABASE_URL_VARIABLE} is not set: add the @ccs/test-support PostgreSQL globalSetup to the Jest config, or point the variable at a server`,
    );
  }
  const name = `ccs_test_${randomBytes(8).toString('hex')}`;
  await asAdmin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await asAdmin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** A SQLite URL for a file in a new temporary directory; `drop` removes the directory with the WAL files. */
export async function createTestSqliteDatabase(): Promise<TestDatabase & { readonly path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ccs-sqlite-'));
  const path = join(dir, 'ccs.sqlite');
  return { url: `sqlite:${path}`, path, drop: () => rm(dir, { recursive: true, force: true }) };
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
