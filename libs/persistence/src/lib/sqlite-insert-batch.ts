import type { Database, Statement } from 'better-sqlite3';
import { FileHandle, open } from 'node:fs/promises';

interface PendingInsert {
  readonly parameters: unknown[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A connection's write-ahead log, as the batch flushes it. */
export interface WriteAheadLog {
  /** Puts everything written to the log so far on disk. */
  sync(): Promise<void>;
  /** Lets go of what `sync` keeps open from one call to the next; a later `sync` opens it again. */
  release(): Promise<void>;
}

/**
 * Group commit for SQLite in WAL mode with `synchronous=NORMAL`: the inserts requested while nothing
 * is being committed, or while the previous group's log flush runs, commit together in one
 * transaction; each is settled once the write-ahead log holding that transaction is on disk.
 *
 * The transaction itself does not wait for the disk: SQLite's `synchronous=FULL` differs from
 * `NORMAL` in WAL mode only by syncing the log after every commit, on the calling thread. Here that
 * sync runs in libuv's thread pool (see `writeAheadLogOf`), so the event loop serves requests while
 * the disk works, and one flush covers every insert that arrived during the previous one. The log's
 * file stays open while groups follow each other and is closed once the batch has had nothing to do
 * for `idleMs`. An insert answered after it is as durable as with `FULL`. An insert that fails (a
 * taken key) fails alone, at once.
 */
export class SqliteInsertBatch {
  private pending: PendingInsert[] = [];
  /** A group is scheduled, committing or being flushed: new inserts wait for the next group. */
  private busy = false;
  private statement: Statement | undefined;
  private log: WriteAheadLog | undefined;
  private idle: NodeJS.Timeout | undefined;

  /**
   * @param idleMs how long the log's file stays open after the last group. At a steady trickle of
   * inserts (an idle gap after every group) closing at once made every group open the file again: one
   * more trip through the thread pool before its answer, and 4.7 % of the sender's CPU samples.
   */
  constructor(
    private readonly connection: () => Database,
    private readonly sql: string,
    private readonly logOf: (connection: Database) => WriteAheadLog = writeAheadLogOf,
    private readonly idleMs = 1000,
  ) {}

  insert(parameters: unknown[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ parameters, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        clearTimeout(this.idle);
        setImmediate(() => this.commit());
      }
    });
  }

  private commit(): void {
    const group = this.pending;
    this.pending = [];
    const failures = new Map<PendingInsert, unknown>();
    let log: WriteAheadLog;
    try {
      const connection = this.connection();
      log = this.log ??= this.logOf(connection);
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
    log.sync().then(
      () => committed.forEach((insert) => insert.resolve()),
      (error: unknown) => committed.forEach((insert) => insert.reject(error)),
    ).finally(() => this.next());
  }

  private next(): void {
    if (this.pending.length > 0) {
      setImmediate(() => this.commit());
      return;
    }
    this.busy = false;
    const log = this.log;
    if (log) this.idle = setTimeout(() => void log.release(), this.idleMs).unref();
  }
}

/**
 * The write-ahead log of the connection's main database (`<file>-wal`, which SQLite keeps while any
 * connection is open), synced with fdatasync in libuv's thread pool. The file handle is opened by the
 * first sync and kept until `release`, so syncs in a row cost one trip to the thread pool each; a
 * failed sync lets go of it too, and the next one starts from a fresh open.
 */
export function writeAheadLogOf(connection: Database): WriteAheadLog {
  const databases = connection.pragma('database_list') as { name: string; file: string }[];
  const file = databases.find((database) => database.name === 'main')?.file;
  if (!file) throw new Error('the SQLite database has no file, so no write-ahead log to flush');
  const path = `${file}-wal`;
  let handle: Promise<FileHandle> | undefined;
  const release = async (): Promise<void> => {
    const opened = handle;
    handle = undefined;
    // Closing a read-only descriptor has nothing to lose; a failed open has nothing to close.
    await opened?.then((log) => log.close()).catch(() => undefined);
  };
  return {
    async sync() {
      const opened = (handle ??= open(path, 'r'));
      try {
        await (await opened).datasync();
      } catch (error) {
        if (handle === opened) await release();
        throw error;
      }
    },
    release,
  };
}
