import type { Database, Statement } from 'better-sqlite3';
import { FileHandle, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

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
  /** Says the log has grown: its pages go back into the database file, off the event loop, when due. */
  grown(): void;
  /** Lets go of everything, the checkpoints' thread included. */
  close(): Promise<void>;
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
      () => {
        committed.forEach((insert) => insert.resolve());
        log.grown();
      },
      (error: unknown) => committed.forEach((insert) => insert.reject(error)),
    ).finally(() => this.next());
  }

  /** Lets go of the log and its checkpoints' thread; inserts after this start them again. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    const log = this.log;
    this.log = undefined;
    await log?.close();
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
 *
 * Checkpoints (copying the log's pages back into the database file) run on a thread of their own,
 * small and often: left to SQLite, the connection would run one in the commit that takes the log past
 * 1 000 pages, holding the event loop 10-40 ms with its two fsyncs, and a large flush of the database
 * file also delays the syncs of the log that the answers wait for (docs/performance.md). The first
 * `grown` starts the thread and turns the connection's automatic checkpoints off; should the thread
 * fail to start or die, they stay or are turned back on, so the log never grows without bound.
 */
export function writeAheadLogOf(connection: Database, checkpointEveryMs = CHECKPOINT_EVERY_MS): WriteAheadLog {
  const file = mainFileOf(connection);
  const path = `${file}-wal`;
  let handle: Promise<FileHandle> | undefined;
  let checkpointer: SqliteCheckpointer | undefined;
  let closed = false;
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
    grown() {
      // A sync that was under way when the log was closed must not start the thread again.
      if (closed) return;
      (checkpointer ??= new SqliteCheckpointer(connection, file, checkpointEveryMs)).due();
    },
    async close() {
      closed = true;
      await Promise.all([release(), checkpointer?.stop()]);
    },
  };
}

/**
 * How often, at most, the log's pages go back into the database while inserts keep coming. Measured
 * on SQLite keep-alive mixed loads (docs/performance.md): every 20 ms the extra fsyncs made the tail
 * worse than SQLite's own checkpoints; every 250 ms it was no better than them; every 50 ms it was.
 */
const CHECKPOINT_EVERY_MS = 50;

// The thread's whole program: its own connection to the file (which only reads, so never checkpoints
// on its own), and a PASSIVE checkpoint (which never waits for other connections) on each request.
// `synchronous=NORMAL` makes the checkpoint sync the log before and the database after copying, as
// the owner's connection would have.
const CHECKPOINTER_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
parentPort.on('message', () => {
  db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage('done');
});
`;

class SqliteCheckpointer {
  private readonly worker: Worker | undefined;
  /** The connection's own automatic checkpoint setting (pages), given back when the thread is gone. */
  private readonly autocheckpointPages: number;
  private running = false;
  private last = Number.NEGATIVE_INFINITY;
  /** Stopped, failed or never started: no more checkpoints from here. */
  private ended = false;

  constructor(
    private readonly connection: Database,
    file: string,
    private readonly everyMs: number,
  ) {
    this.autocheckpointPages = connection.pragma('wal_autocheckpoint', { simple: true }) as number;
    try {
      this.worker = new Worker(CHECKPOINTER_PROGRAM, {
        eval: true,
        workerData: { driver: betterSqlite3Path(), file },
        // A few megabytes of JavaScript at most: the work is SQLite's, in native memory.
        resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
        stdout: false,
        stderr: false,
      });
    } catch (error) {
      // SQLite's own checkpoints were never turned off.
      this.ended = true;
      warn(error);
      return;
    }
    connection.pragma('wal_autocheckpoint = 0');
    this.worker.unref();
    this.worker.on('message', () => (this.running = false));
    this.worker.once('error', (error) => this.fail(error));
    this.worker.once('exit', (code) => this.fail(new Error(`the SQLite checkpoint thread exited with ${code}`)));
  }

  /** Asks for a checkpoint unless one is running or the last began less than `everyMs` ago. */
  due(): void {
    if (this.ended || this.running) return;
    const now = performance.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    this.running = true;
    this.worker?.postMessage(0);
  }

  /** Ends the thread (after a checkpoint under way) and gives the checkpoints back to SQLite. */
  async stop(): Promise<void> {
    const checkpointing = !this.ended;
    this.ended = true;
    this.worker?.removeAllListeners('exit');
    await this.worker?.terminate();
    if (checkpointing) this.restoreAutomaticCheckpoints();
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    void this.worker?.terminate();
    this.restoreAutomaticCheckpoints();
    warn(error);
  }

  private restoreAutomaticCheckpoints(): void {
    try {
      this.connection.pragma(`wal_autocheckpoint = ${this.autocheckpointPages}`);
    } catch {
      // The connection is closed: nothing left to checkpoint from here.
    }
  }
}

function warn(error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  process.emitWarning(`SQLite checkpoints run on the event loop: ${reason}`, 'SqliteCheckpointWarning');
}

function mainFileOf(connection: Database): string {
  const databases = connection.pragma('database_list') as { name: string; file: string }[];
  const file = databases.find((database) => database.name === 'main')?.file;
  if (!file) throw new Error('the SQLite database has no file, so no write-ahead log to flush');
  return file;
}

/** Where this process loads better-sqlite3 from, for the checkpoint thread to load the same. */
function betterSqlite3Path(): string {
  return createRequire(__filename).resolve('better-sqlite3');
}
