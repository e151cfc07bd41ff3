import type { Database, Statement } from 'better-sqlite3';

interface PendingInsert {
  readonly parameters: unknown[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Commits the inserts requested in one event-loop turn together, in one transaction: with
 * `synchronous=FULL` every commit waits for the disk, so one flush then serves many requests.
 * Each insert is settled only after that commit; one that fails (a taken key) fails alone.
 */
export class SqliteInsertBatch {
  private pending: PendingInsert[] = [];
  private statement: Statement | undefined;

  constructor(
    private readonly connection: () => Database,
    private readonly sql: string,
  ) {}

  insert(parameters: unknown[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ parameters, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const failures = new Map<PendingInsert, unknown>();
    try {
      const connection = this.connection();
      const statement = (this.statement ??= connection.prepare(this.sql));
      connection.transaction(() => {
        for (const insert of batch) {
          try {
            statement.run(...insert.parameters);
          } catch (error) {
            failures.set(insert, error);
          }
        }
      })();
    } catch (error) {
      batch.forEach((insert) => insert.reject(error));
      return;
    }
    for (const insert of batch) {
      if (failures.has(insert)) insert.reject(failures.get(insert));
      else insert.resolve();
    }
  }
}
