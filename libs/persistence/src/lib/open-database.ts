import { DataSource } from 'typeorm';
import { DataSourceSettings, createDataSource } from './data-source';
import { Dialect, parseDatabaseUrl } from './database-url';
import { migrate } from './migrate';
import { TypeOrmKeyCapsuleRepository } from './typeorm-key-capsule.repository';

export interface OpenDatabaseOptions extends DataSourceSettings {
  /** Apply pending migrations before resolving; default false. */
  readonly migrate?: boolean;
}

export interface KeyCapsuleDatabase {
  readonly dialect: Dialect;
  readonly dataSource: DataSource;
  readonly repository: TypeOrmKeyCapsuleRepository;
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
  const close = async (): Promise<void> => {
    if (dataSource.isInitialized) await dataSource.destroy();
  };
  try {
    if (options.migrate) await migrate(dataSource);
    return { dialect: target.dialect, dataSource, repository: new TypeOrmKeyCapsuleRepository(dataSource), close };
  } catch (error) {
    await close();
    throw error;
  }
}
