import type { Database as SqliteConnection } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { DatabaseTarget, Dialect } from './database-url';
import { keyCapsuleEntity } from './key-capsule.entity';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

export interface DataSourceSettings {
  /** PostgreSQL connections kept in the pool; default 10. */
  readonly poolSize?: number;
}

export const DEFAULT_POOL_SIZE = 10;
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;
const POSTGRES_STATEMENT_TIMEOUT_MS = 30_000;
const POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

// `logging` stays off: TypeORM would log query parameters, and those are capsules.
export function createDataSource(target: DatabaseTarget, settings: DataSourceSettings = {}): DataSource {
  if (target.dialect === 'postgres') {
    return new DataSource({
      type: 'postgres',
      url: target.url,
      poolSize: settings.poolSize ?? DEFAULT_POOL_SIZE,
      connectTimeoutMS: POSTGRES_CONNECT_TIMEOUT_MS,
      applicationName: 'ccs',
      extra: {
        statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
        idle_in_transaction_session_timeout: POSTGRES_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
      entities: [keyCapsuleEntity('postgres')],
      migrations: POSTGRES_MIGRATIONS,
      synchronize: false,
      migrationsRun: false,
      logging: false,
    });
  }
  return new DataSource({
    type: 'better-sqlite3',
    database: target.path,
    timeout: SQLITE_BUSY_TIMEOUT_MS,
    prepareDatabase: prepareSqlite,
    entities: [keyCapsuleEntity('sqlite')],
    migrations: SQLITE_MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  });
}

// WAL lets the sender and recipient processes share the file. NORMAL leaves the log's flush after a
// commit to the caller: SqliteInsertBatch answers an insert (a 201) only once its commit is on disk,
// without holding the event loop meanwhile. The other writes (purge deletes, migrations) need not
// survive a power loss one by one.
function prepareSqlite(connection: SqliteConnection): void {
  const mode = connection.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new Error(`SQLite refused WAL mode (journal mode is ${String(mode)})`);
  connection.pragma('synchronous = NORMAL');
}

export function dialectOf(dataSource: DataSource): Dialect {
  switch (dataSource.options.type) {
    case 'postgres':
      return 'postgres';
    case 'better-sqlite3':
      return 'sqlite';
    default:
      throw new Error(`unsupported database type ${dataSource.options.type}`);
  }
}
