import { newTransactionId } from '@ccs/domain';
import { openDatabase } from '@ccs/persistence';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { BenchClientKey, EC_CLIENT, RSA_CLIENT } from './workload';

export type Dialect = 'sqlite' | 'postgres';

const ROWS_PER_STATEMENT = 500;
const COLUMNS = ['transactionId', 'capsuleType', 'recipientId', 'ephemeralKeyMaterial', 'expiresAt', 'expiryAdjusted'] as const;

export interface PrefillSource {
  readonly capsuleType: Record<BenchClientKey, string>;
  readonly recipientId: Record<BenchClientKey, Buffer>;
  readonly ephemeralKeyMaterial: Record<BenchClientKey, Buffer>;
}

/**
 * Creates the schema through the migrations and inserts `count` unexpired capsules in bulk, alternately
 * addressed to the bench's EC and RSA client; returns their transaction ids by client key.
 */
export async function prefill(url: string, count: number, source: PrefillSource): Promise<Record<BenchClientKey, string[]>> {
  const database = await openDatabase(url, { migrate: true });
  const ids: Record<BenchClientKey, string[]> = { [EC_CLIENT]: [], [RSA_CLIENT]: [] };
  try {
    const { dataSource } = database;
    const { metadata, columns } = entityColumns(dataSource);
    const postgres = dataSource.options.type === 'postgres';
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 365 * 86_400_000);
    for (let start = 0; start < count; start += ROWS_PER_STATEMENT) {
      const rows = Math.min(ROWS_PER_STATEMENT, count - start);
      const parameters: unknown[] = [];
      const tuples: string[] = [];
      for (let i = 0; i < rows; i++) {
        const key = (start + i) % 2 === 0 ? EC_CLIENT : RSA_CLIENT;
        const transactionId = newTransactionId();
        ids[key].push(transactionId);
        const material = key === RSA_CLIENT ? randomBytes(source.ephemeralKeyMaterial[key].length) : source.ephemeralKeyMaterial[key];
        const values = [transactionId, source.capsuleType[key], source.recipientId[key], material, expiresAt, false];
        tuples.push(`(${values.map((_, c) => (postgres ? `$${parameters.length + c + 1}` : '?')).join(', ')})`);
        values.forEach((value, c) => parameters.push(dataSource.driver.preparePersistentValue(value, columns[c])));
      }
      const names = columns.map((column) => column.databaseName).join(', ');
      await dataSource.query(`INSERT INTO ${metadata.tableName} (${names}) VALUES ${tuples.join(', ')}`, parameters);
    }
    return ids;
  } finally {
    await database.close();
  }
}

const EXPIRED_ROWS_PER_STATEMENT = 100_000;

/** The table's metadata and its columns in COLUMNS order, whose conversions the inserts apply. */
function entityColumns(dataSource: DataSource) {
  const metadata = dataSource.getMetadata('KeyCapsule');
  const columns = COLUMNS.map((property) => {
    const column = metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`the KeyCapsule entity has no ${property} column`);
    return column;
  });
  return { metadata, columns };
}

/**
 * Inserts `count` capsules of the EC client that expire at `expiresAt`, generated inside the database
 * (recursive CTE on SQLite, generate_series on PostgreSQL) so that a million rows take seconds; the
 * constant values go through the driver's own conversions.
 */
export async function prefillExpiring(url: string, count: number, expiresAt: Date, source: PrefillSource): Promise<void> {
  const database = await openDatabase(url, { migrate: true });
  try {
    const { dataSource } = database;
    const { metadata, columns } = entityColumns(dataSource);
    const names = columns.map((column) => column.databaseName).join(', ');
    const postgres = dataSource.options.type === 'postgres';
    const sql = postgres
      ? `INSERT INTO ${metadata.tableName} (${names}) SELECT 'KC' || md5(random()::text || g::text), $1, $2, $3, $4, $5 FROM generate_series(1, $6) AS g`
      : `INSERT INTO ${metadata.tableName} (${names}) WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)` +
        ` SELECT 'KC' || lower(hex(randomblob(16))), ?, ?, ?, ?, ? FROM g`;
    const key = EC_CLIENT;
    for (let start = 0; start < count; start += EXPIRED_ROWS_PER_STATEMENT) {
      const rows = Math.min(EXPIRED_ROWS_PER_STATEMENT, count - start);
      const values = [source.capsuleType[key], source.recipientId[key], source.ephemeralKeyMaterial[key], expiresAt, false]
        .map((value, c) => dataSource.driver.preparePersistentValue(value, columns[c + 1]));
      await dataSource.query(sql, postgres ? [...values, rows] : [rows, ...values]);
    }
  } finally {
    await database.close();
  }
}

/** Capsules whose expiry is not after `now`. */
export async function countExpired(url: string, now = new Date()): Promise<number> {
  const database = await openDatabase(url, { migrate: false });
  try {
    const { dataSource } = database;
    const metadata = dataSource.getMetadata('KeyCapsule');
    const column = metadata.findColumnWithPropertyName('expiresAt');
    if (!column) throw new Error('the KeyCapsule entity has no expiresAt column');
    const placeholder = dataSource.options.type === 'postgres' ? '$1' : '?';
    const [row] = (await dataSource.query(`SELECT COUNT(*) AS n FROM ${metadata.tableName} WHERE ${column.databaseName} <= ${placeholder}`, [
      dataSource.driver.preparePersistentValue(now, column),
    ])) as { n: number | string }[];
    return Number(row.n);
  } finally {
    await database.close();
  }
}

/**
 * Before each measurement on PostgreSQL: a VACUUM (ANALYZE) of the capsule table and then a
 * CHECKPOINT, so that no autovacuum and no timed checkpoint falls into a measurement of one server
 * and not the other. The table's first vacuum after the pre-fill sets every page visible and, after
 * a checkpoint, writes each page whole to the WAL (71 MB and 2 s for 100 000 capsules); each
 * vacuum since covers only the pages written since, and the next autovacuum is due only after
 * about a fifth of the table's rows again. The CHECKPOINT writes out what earlier measurements left
 * dirty and restarts PostgreSQL's checkpoint timer (5 minutes by default). Unless the user may not
 * run CHECKPOINT (a `--postgres-url` server): then this tells `progress` so once and goes on
 * without it (VACUUM of a table the user does not own only warns and skips it).
 */
export async function postgresHousekeeping(url: string, progress: (line: string) => void): Promise<{ beforeMeasurement(): Promise<void>; close(): Promise<void> }> {
  const database = await openDatabase(url, { poolSize: 1 });
  const table = database.dataSource.getMetadata('KeyCapsule').tableName;
  let checkpoints = true;
  return {
    async beforeMeasurement() {
      await database.dataSource.query(`VACUUM (ANALYZE) ${table}`);
      if (!checkpoints) return;
      try {
        await database.dataSource.query('CHECKPOINT');
      } catch (error) {
        checkpoints = false;
        progress(`postgres: CHECKPOINT refused (${error instanceof Error ? error.message : String(error)}); measurements go on without it`);
      }
    },
    close: () => database.close(),
  };
}
