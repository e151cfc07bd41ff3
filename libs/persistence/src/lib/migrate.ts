import { DataSource, MigrationExecutor, QueryFailedError, QueryRunner } from 'typeorm';
import { SQLITE_BUSY_TIMEOUT_MS, dialectOf } from './data-source';

// Two-key advisory lock: 'CCS2' as the class, 1 for schema migrations.
const POSTGRES_LOCK = [0x43435332, 1];
const SQLITE_LOCK_ATTEMPTS = 240;
const SQLITE_LOCK_MAX_DELAY_MS = 250;

/**
 * Applies pending migrations and resolves to their names. Safe when several processes start on the
 * same database at once: one applies them, the others wait and then find nothing pending.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    return dialectOf(dataSource) === 'postgres'
      ? await migratePostgres(dataSource, runner)
      : await migrateSqlite(dataSource, runner);
  } finally {
    await runner.release();
  }
}

/** Names of the migrations not yet applied; creates nothing, so it suits services that do not migrate. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  return pending.map((migration) => migration.name);
}

async function applyPending(
  dataSource: DataSource,
  runner: QueryRunner,
  transaction: MigrationExecutor['transaction'],
): Promise<string[]> {
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = transaction;
  const applied = await executor.executePendingMigrations();
  return applied.map((migration) => migration.name);
}

async function migratePostgres(dataSource: DataSource, runner: QueryRunner): Promise<string[]> {
  // The lock and the migrations share one session: the lock is held by the connection that migrates.
  await runner.query('SET statement_timeout = 0');
  try {
    await runner.query('SELECT pg_advisory_lock($1, $2)', POSTGRES_LOCK);
    try {
      return await applyPending(dataSource, runner, 'all');
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1, $2)', POSTGRES_LOCK);
    }
  } finally {
    await runner.query('RESET statement_timeout');
  }
}

async function migrateSqlite(dataSource: DataSource, runner: QueryRunner): Promise<string[]> {
  await beginImmediate(runner);
  try {
    const applied = await applyPending(dataSource, runner, 'none');
    await runner.query('COMMIT');
    return applied;
  } catch (error) {
    await runner.query('ROLLBACK');
    throw error;
  }
}

/**
 * Takes SQLite's write lock for the whole migration. better-sqlite3 waits for a lock synchronously,
 * blocking the event loop, so this polls instead: another connection of the same process can then
 * finish its own migration meanwhile.
 */
async function beginImmediate(runner: QueryRunner): Promise<void> {
  await runner.query('PRAGMA busy_timeout = 0');
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await runner.query('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isSqliteBusy(error) || attempt >= SQLITE_LOCK_ATTEMPTS) throw error;
        await sleep(Math.min(SQLITE_LOCK_MAX_DELAY_MS, 5 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  } finally {
    await runner.query(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  }
}

function isSqliteBusy(error: unknown): boolean {
  const code = error instanceof QueryFailedError ? (error.driverError as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
