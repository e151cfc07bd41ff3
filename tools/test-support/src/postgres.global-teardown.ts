import { TEST_DATABASE_URL_VARIABLE } from './lib/test-database';
import { EMBEDDED_POSTGRES, JestGlobals } from './postgres.global-state';

/** Jest globalTeardown: stops the PostgreSQL the global setup started, if it started one. */
export default async function stopTestPostgres(): Promise<void> {
  const globals = globalThis as JestGlobals;
  const server = globals[EMBEDDED_POSTGRES];
  if (!server) return;
  delete globals[EMBEDDED_POSTGRES];
  delete process.env[TEST_DATABASE_URL_VARIABLE];
  await server.stop();
}
