import { KeyCapsuleRepository, StoredKeyCapsule } from '@ccs/domain';
import type { Database as SqliteConnection, Statement } from 'better-sqlite3';
import type { Pool } from 'pg';
import { DataSource, QueryFailedError, QueryResult } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { dialectOf } from './data-source';
import { Dialect } from './database-url';
import { KEY_CAPSULE_ENTITY, KEY_CAPSULE_PRIMARY_KEY, KEY_CAPSULE_TABLE, KeyCapsuleRecord } from './key-capsule.entity';
import { SqliteInsertBatch } from './sqlite-insert-batch';

interface KeyCapsuleSql {
  /** Parameters: transaction id, capsule type, recipient id, key material, expires at, expiry adjusted. */
  readonly insert: string;
  /** Parameters: transaction id, now. */
  readonly findUnexpired: string;
  /** Parameters: now, batch size. */
  readonly deleteExpired: string;
}

const COLUMNS = 'transaction_id, capsule_type, recipient_id, ephemeral_key_material, expires_at, expiry_adjusted';
const SELECTED = 'capsule_type, recipient_id, ephemeral_key_material, expires_at, expiry_adjusted';

/** The statements behind the repository: fixed texts, so that TypeORM's SQLite statement cache reuses them. */
export const KEY_CAPSULE_SQL: Record<Dialect, KeyCapsuleSql> = {
  postgres: {
    insert: `INSERT INTO ${KEY_CAPSULE_TABLE} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
    findUnexpired: `SELECT ${SELECTED} FROM ${KEY_CAPSULE_TABLE} WHERE transaction_id = $1 AND expires_at > $2`,
    // SKIP LOCKED: instances purging at the same time take disjoint batches instead of waiting on each
    // other. The locked rows cannot move before the DELETE of the same statement, so their ctid is safe.
    deleteExpired:
      `DELETE FROM ${KEY_CAPSULE_TABLE} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${KEY_CAPSULE_TABLE}` +
      ` WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
  },
  sqlite: {
    insert: `INSERT INTO ${KEY_CAPSULE_TABLE} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
    findUnexpired: `SELECT ${SELECTED} FROM ${KEY_CAPSULE_TABLE} WHERE transaction_id = ? AND expires_at > ?`,
    deleteExpired:
      `DELETE FROM ${KEY_CAPSULE_TABLE} WHERE rowid IN (SELECT rowid FROM ${KEY_CAPSULE_TABLE}` +
      ` WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
  },
};

/**
 * Rows per purge statement unless CCS_PURGE_BATCH_SIZE says otherwise. SQLite deletes on the event
 * loop (~80 µs per row with the checkpoint below), so small batches keep each pause to a few
 * milliseconds. PostgreSQL deletes in its own processes, and small batches there are slow: each
 * statement scans the expiry index past the entries the previous batches left dead.
 */
export const PURGE_BATCH_SIZE: Record<Dialect, number> = { postgres: 1000, sqlite: 25 };

interface SelectedRow {
  capsule_type: string;
  recipient_id: unknown;
  ephemeral_key_material: unknown;
  expires_at: unknown;
  expiry_adjusted: unknown;
}

type MappedProperty = Exclude<keyof KeyCapsuleRecord, 'createdAt'>;

/**
 * Plain SQL over TypeORM's connection handling; values go through the driver's own conversions for
 * the entity's columns, so rows read here and rows written through the entity agree.
 */
export class TypeOrmKeyCapsuleRepository implements KeyCapsuleRepository {
  private readonly sql: KeyCapsuleSql;
  private readonly isPrimaryKeyCollision: (error: unknown) => boolean;
  private readonly columns: Record<MappedProperty, ColumnMetadata>;
  private readonly sqliteInserts: SqliteInsertBatch | undefined;
  private readonly sqliteConnection: (() => SqliteConnection) | undefined;
  private sqliteFind: Statement | undefined;
  private readonly postgresPool: (() => Pool) | undefined;

  constructor(private readonly dataSource: DataSource) {
    const dialect = dialectOf(dataSource);
    this.sql = KEY_CAPSULE_SQL[dialect];
    if (dialect === 'sqlite') {
      const connection = () => (dataSource.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
      this.sqliteConnection = connection;
      this.sqliteInserts = new SqliteInsertBatch(connection, this.sql.insert);
    } else {
      this.postgresPool = () => (dataSource.driver as unknown as { master: Pool }).master;
    }
    this.isPrimaryKeyCollision = dialect === 'postgres' ? isPostgresPrimaryKeyCollision : isSqlitePrimaryKeyCollision;
    const metadata = dataSource.getMetadata(KEY_CAPSULE_ENTITY);
    const column = (property: MappedProperty): ColumnMetadata => {
      const found = metadata.findColumnWithPropertyName(property);
      if (!found) throw new Error(`the KeyCapsule entity has no ${property} column`);
      return found;
    };
    this.columns = {
      transactionId: column('transactionId'),
      capsuleType: column('capsuleType'),
      recipientId: column('recipientId'),
      ephemeralKeyMaterial: column('ephemeralKeyMaterial'),
      expiresAt: column('expiresAt'),
      expiryAdjusted: column('expiryAdjusted'),
    };
  }

  async insert(capsule: StoredKeyCapsule): Promise<boolean> {
    const parameters = [
      this.toDatabase('transactionId', capsule.transactionId),
      this.toDatabase('capsuleType', capsule.capsuleType),
      this.toDatabase('recipientId', capsule.recipientId),
      this.toDatabase('ephemeralKeyMaterial', capsule.ephemeralKeyMaterial),
      this.toDatabase('expiresAt', capsule.expiresAt),
      this.toDatabase('expiryAdjusted', capsule.adjusted),
    ];
    try {
      if (this.sqliteInserts) {
        await this.sqliteInserts.insert(parameters).catch((error: unknown) => {
          throw new QueryFailedError(this.sql.insert, parameters, error as Error);
        });
      } else {
        await this.prepared('ccs_insert_key_capsule', this.sql.insert, parameters);
      }
      return true;
    } catch (error) {
      if (this.isPrimaryKeyCollision(error)) return false;
      throw withoutCapsule(error);
    }
  }

  async findUnexpired(transactionId: string, now: Date): Promise<StoredKeyCapsule | undefined> {
    const parameters = [this.toDatabase('transactionId', transactionId), this.toDatabase('expiresAt', now)];
    // On SQLite the read is one synchronous call on the shared connection; a query runner per read would only add work.
    const row = this.sqliteConnection
      ? ((this.sqliteFind ??= this.sqliteConnection().prepare(this.sql.findUnexpired)).get(...parameters) as SelectedRow | undefined)
      : ((await this.prepared('ccs_find_key_capsule', this.sql.findUnexpired, parameters))[0] as SelectedRow | undefined);
    if (!row) return undefined;
    return {
      transactionId,
      capsuleType: this.fromDatabase('capsuleType', row.capsule_type) as string,
      recipientId: this.fromDatabase('recipientId', row.recipient_id) as Buffer,
      ephemeralKeyMaterial: this.fromDatabase('ephemeralKeyMaterial', row.ephemeral_key_material) as Buffer,
      expiresAt: this.fromDatabase('expiresAt', row.expires_at) as Date,
      adjusted: this.fromDatabase('expiryAdjusted', row.expiry_adjusted) as boolean,
    };
  }

  async deleteExpired(now: Date, batchSize: number): Promise<number> {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError('batchSize must be a positive integer');
    }
    const result = await this.run(this.sql.deleteExpired, [this.toDatabase('expiresAt', now), batchSize]);
    const deleted = result.affected ?? 0;
    // Write the batch's pages back into the database file now. Left to SQLite's automatic checkpoint,
    // they would go back 1 000 WAL pages at a time, each such checkpoint holding the event loop for
    // tens of milliseconds (random index pages and an fsync). PASSIVE never waits for other connections.
    if (deleted > 0) this.sqliteConnection?.().pragma('wal_checkpoint(PASSIVE)');
    return deleted;
  }

  /** Lets go of what the repository holds beside the data source (SQLite's checkpoint thread). */
  async close(): Promise<void> {
    await this.sqliteInserts?.close();
  }

  private async run(sql: string, parameters: unknown[]): Promise<QueryResult> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await runner.query(sql, parameters, true);
    } finally {
      await runner.release();
    }
  }

  /**
   * A hot statement on PostgreSQL: a named statement on the pool TypeORM opened, so that each
   * connection parses and plans it once instead of on every request. Errors look like TypeORM's.
   */
  private async prepared(name: string, sql: string, parameters: unknown[]): Promise<unknown[]> {
    const pool = this.postgresPool?.();
    if (!pool) throw new Error('named statements are for PostgreSQL');
    try {
      return (await pool.query({ name, text: sql, values: parameters })).rows;
    } catch (error) {
      throw new QueryFailedError(sql, parameters, error as Error);
    }
  }

  private toDatabase(column: MappedProperty, value: unknown): unknown {
    return this.dataSource.driver.preparePersistentValue(value, this.columns[column]);
  }

  private fromDatabase(column: MappedProperty, value: unknown): unknown {
    return this.dataSource.driver.prepareHydratedValue(value, this.columns[column]);
  }
}

function driverCode(error: unknown): unknown {
  return error instanceof QueryFailedError ? (error.driverError as { code?: unknown }).code : undefined;
}

function isPostgresPrimaryKeyCollision(error: unknown): boolean {
  return (
    driverCode(error) === '23505' &&
    ((error as QueryFailedError).driverError as { constraint?: unknown }).constraint === KEY_CAPSULE_PRIMARY_KEY
  );
}

function isSqlitePrimaryKeyCollision(error: unknown): boolean {
  return driverCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

// A failed insert carries the capsule in its parameters and, on PostgreSQL, in the row shown by `detail`:
// neither may reach a log through the error.
function withoutCapsule(error: unknown): unknown {
  if (error instanceof QueryFailedError) {
    for (const holder of [error, error.driverError as object]) {
      for (const key of ['parameters', 'detail']) {
        if (holder && key in holder) Object.defineProperty(holder, key, { value: undefined });
      }
    }
  }
  return error;
}
