import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// What the worker runs: plain JavaScript evaluated in the thread, so that it needs neither the bundle
// nor TypeScript; everything else comes through workerData. Its connection is set up as the
// service's own is (WAL, synchronous=FULL, the same busy timeout).
const WORKER_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const connection = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
connection.pragma('journal_mode = WAL');
connection.pragma('synchronous = FULL');
const statement = connection.prepare(workerData.sql);
parentPort.on('message', (parameters) => {
  try {
    parentPort.postMessage({ changes: statement.run(...parameters).changes });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
`;

// Resolved by Node at run time from this file's place (a bundler would turn require.resolve into a module id).
const DRIVER = createRequire(__filename).resolve('better-sqlite3');

type WorkerAnswer = { readonly changes: number } | { readonly error: string };

/** How long a worker without work is kept before it stops (a thread costs several MB of memory). */
const IDLE_MS = 1_000;

/**
 * One SQLite write statement run on a connection of its own in a worker thread, one execution at a
 * time. better-sqlite3 is synchronous: a long statement on the service's connection (a purge batch
 * deletes ~25 rows per millisecond, and its commits trigger WAL checkpoints) would hold the event
 * loop, while in the worker it holds only the database's write lock; WAL readers are not blocked.
 * The worker starts with the first execution and stops after a second without one.
 */
export class SqliteWorkerStatement {
  private worker: Worker | undefined;
  private idle: NodeJS.Timeout | undefined;
  private previous: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly sql: string,
    private readonly busyTimeoutMs: number,
  ) {}

  /** The number of rows the statement changed. */
  run(parameters: readonly unknown[]): Promise<number> {
    const result = this.previous.then(() => this.execute(parameters));
    this.previous = result.catch(() => undefined);
    return result;
  }

  /** Stops the worker; a statement in flight is rolled back with its transaction. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
  }

  private async stop(): Promise<void> {
    clearTimeout(this.idle);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.closed) throw new Error('the SQLite worker is closed');
    clearTimeout(this.idle);
    if (!this.worker) {
      const worker = new Worker(WORKER_PROGRAM, {
        eval: true,
        // It holds one prepared statement: a small heap, not the service's limits.
        resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
        workerData: { driver: DRIVER, file: this.file, sql: this.sql, busyTimeoutMs: this.busyTimeoutMs },
      });
      // Failures reach the execution in flight (below); a worker that failed is not reused.
      worker.on('error', () => undefined);
      worker.on('exit', () => {
        if (this.worker === worker) this.worker = undefined;
      });
      this.worker = worker;
    }
    return this.worker;
  }

  private execute(parameters: readonly unknown[]): Promise<number> {
    const worker = this.started();
    // A statement in flight keeps the process alive, an idle worker does not.
    worker.ref();
    return new Promise<number>((resolve, reject) => {
      const settle = () => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        worker.unref();
        this.idle = setTimeout(() => void this.stop(), IDLE_MS).unref();
      };
      const onMessage = (answer: WorkerAnswer) => {
        settle();
        if ('error' in answer) reject(new Error(answer.error));
        else resolve(answer.changes);
      };
      const onError = (error: Error) => {
        settle();
        reject(error);
      };
      const onExit = () => {
        settle();
        reject(new Error('the SQLite worker stopped'));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(parameters);
    });
  }
}
