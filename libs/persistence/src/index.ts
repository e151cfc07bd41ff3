export type { Dialect } from './lib/database-url';
export { pendingMigrations, migrate } from './lib/migrate';
export { openDatabase } from './lib/open-database';
export type { KeyCapsuleDatabase, OpenDatabaseOptions } from './lib/open-database';
export { TypeOrmKeyCapsuleRepository } from './lib/typeorm-key-capsule.repository';
