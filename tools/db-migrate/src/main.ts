import 'reflect-metadata';
import { openDatabase } from '@ccs/persistence';
import { ConfigError, loadDatabaseConfig } from '@ccs/platform';

/** `npm run db:migrate`: applies pending migrations to CCS_DATABASE_URL and exits. */
async function main(): Promise<void> {
  const config = loadDatabaseConfig();
  const database = await openDatabase(config.url, { migrate: true, poolSize: config.poolSize });
  await database.close();
  process.stdout.write('database schema is up to date\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
