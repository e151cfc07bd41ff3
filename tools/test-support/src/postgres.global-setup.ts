import { startEmbeddedPostgres } from './lib/embedded-postgres-server';
import { TEST_DATABASE_URL_VARIABLE } from './lib/test-database';
import { EMBEDDED_POSTGRES, JestGlobals } from './postgres.global-state';

/** Jest globalSetup: starts a PostgreSQL for the run unless `CCS_TEST_DATABASE_URL` names one already. */
export default async function startTestPostgres(): Promise<void> {
  if (process.env[TEST_DATABASE_URL_VARIABLE]) return;
  const server = await startEmbeddedPostgres();
  (globalThis as JestGlobals)[EMBEDDED_POSTGRES] = server;
  process.env[TEST_DATABASE_URL_VARIABLE] = server.url;
}
