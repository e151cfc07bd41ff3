import type { Database, Statement } from 'better-sqlite3';
import { open } from 'node:fs/promises';

interface PendingInsert {
  readonly parameters: unknown[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Puts everything written to the connection's log so far on disk. */
export type LogSync = () => Promise<void>;

/**
 * Group commit for SQLite in WAL mode with `synchronous=NORMAL`: the inserts requested while nothing
 * is being committed, or while the previous group's log flush runs, commit together in one
 * transaction; each is settled once the write-ahead log holding that transaction is on disk.
 *
 * The transaction itself does not wait for the disk: SQLite's `synchronous=FULL` differs from
 * `NORMAL` in WAL mode only by syncing the log after every commit, on the calling thread. Here that
 * sync runs in libuv's thread pool (see `syncWriteAheadLog`), so the event loop serves requests while
 * the disk works, and one flush covers every insert that arrived during the previous one. An insert
 * answered after it is as durable as with `FULL`. An insert that fails (a taken key) fails alone,
 * at once.
 */
export class SqliteInsertBatch {
  private pending: PendingInsert[] = [];
  /** A group is scheduled, committing or being flushed: new inserts wait for the next group. */
  private busy = false;
  private statement: Statement | undefined;
  private sync: LogSync | undefined;

  constructor(
    private readonly connection: () => Database,
    private readonly sql: string,
    private readonly syncOf: (connection: Database) => LogSync = syncWriteAheadLog,
  ) {}

  insert(parameters: unknown[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ parameters, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => this.commit());
      }
    });
  }

  private commit(): void {
    const group = this.pending;
    this.pending = [];
    const failures = new Map<PendingInsert, unknown>();
    let sync: LogSync;
    try {
      const connection = this.connection();
      sync = this.sync ??= this.syncOf(connection);
      const statement = (this.statement ??= connection.prepare(this.sql));
      connection.transaction(() => {
        for (const insert of group) {
          try {
            statement.run(...insert.parameters);
          } catch (error) {
            failures.set(insert, error);
          }
        }
      })();
    } catch (error) {
      group.forEach((insert) => insert.reject(error));
      this.next();
      return;
    }
    failures.forEach((error, insert) => insert.reject(error));
    const committed = group.filter((insert) => !failures.has(insert));
    if (committed.length === 0) {
      this.next();
      return;
    }
    sync().then(
      () => committed.forEach((insert) => insert.resolve()),
      (error: unknown) => committed.forEach((insert) => insert.reject(error)),
    ).finally(() => this.next());
  }

  private next(): void {
    if (this.pending.length === 0) this.busy = false;
    else setImmediate(() => this.commit());
  }
}

/**
 * Syncs the write-ahead log of the connection's main database (`<file>-wal`, which SQLite keeps while
 * any connection is open) with fdatasync in libuv's thread pool.
 */
export function syncWriteAheadLog(connection: Database): LogSync {
  const databases = connection.pragma('database_list') as { name: string; file: string }[];
  const file = databases.find((database) => database.name === 'main')?.file;
  if (!file) throw new Error('the SQLite database has no file, so no write-ahead log to flush');
  const log = `${file}-wal`;
  return async () => {
    const handle = await open(log, 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  };
}
