export { createTestDatabase, createTestSqliteDatabase, TEST_DATABASE_URL_VARIABLE } from './lib/test-database';
export type { TestDatabase } from './lib/test-database';
export { freePort, serviceEnvironment, startService, type RunningService } from './lib/services';
