import { DataSource } from 'typeorm';
import { DataSourceSettings, createDataSource } from './data-source';
import { Dialect, parseDatabaseUrl } from './database-url';
import { migrate, pendingMigrations } from './migrate';
import { PURGE_BATCH_SIZE, TypeOrmKeyCapsuleRepository } from './typeorm-key-capsule.repository';

export interface OpenDatabaseOptions extends DataSourceSettings {
  /**
   * true: apply pending migrations before resolving. false: refuse a database with pending migrations
   * (a service told not to migrate). Omitted: neither, for tools and tests that manage the schema.
   */
  readonly migrate?: boolean;
}

export interface KeyCapsuleDatabase {
  readonly dialect: Dialect;
  readonly dataSource: DataSource;
  readonly repository: TypeOrmKeyCapsuleRepository;
  /** Rows per purge statement that suit this database. */
  readonly purgeBatchSize: number;
  /** Closes the pool or file; calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * Connects to `sqlite:<path>` or `postgres://…` (the value of `CCS_DATABASE_URL`). Errors about the URL
 * name the variable but never repeat the URL, which may contain a password.
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<KeyCapsuleDatabase> {
  const target = parseDatabaseUrl(url);
  const dataSource = createDataSource(target, options);
  await dataSource.initialize();
  let repository: TypeOrmKeyCapsuleRepository | undefined;
  const close = async (): Promise<void> => {
    await repository?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  };
  try {
    if (options.migrate) await migrate(dataSource);
    else if (options.migrate === false && (await pendingMigrations(dataSource)).length > 0) {
      throw new Error('the database schema is not up to date: run npm run db:migrate, or start with CCS_DATABASE_MIGRATE=true');
    }
    repository = new TypeOrmKeyCapsuleRepository(dataSource);
    return { dialect: target.dialect, dataSource, repository, purgeBatchSize: PURGE_BATCH_SIZE[target.dialect], close };
  } catch (error) {
    await close();
    throw error;
  }
}
