import { KeyCapsuleRepository, StoredKeyCapsule } from '@ccs/domain';
import Sqlite from 'better-sqlite3';
import { Pool } from 'pg';

const COLUMNS = 'transaction_id, capsule_type, recipient_id, ephemeral_key_material, expires_at, expiry_adjusted';
const SELECTED = 'capsule_type, recipient_id, ephemeral_key_material, expires_at, expiry_adjusted';

interface Row {
  capsule_type: string;
  recipient_id: Buffer;
  ephemeral_key_material: Buffer;
  expires_at: string | Date;
  expiry_adjusted: number | boolean;
}

/** The instant form the migrations use on SQLite: UTC `YYYY-MM-DD HH:MM:SS.SSS`. */
const sqliteInstant = (date: Date) => date.toISOString().slice(0, 23).replace('T', ' ');

function capsuleOf(transactionId: string, row: Row): StoredKeyCapsule {
  return {
    transactionId,
    capsuleType: row.capsule_type,
    recipientId: row.recipient_id,
    ephemeralKeyMaterial: row.ephemeral_key_material,
    expiresAt: row.expires_at instanceof Date ? row.expires_at : new Date(`${row.expires_at.replace(' ', 'T')}Z`),
    adjusted: Boolean(row.expiry_adjusted),
  };
}

/**
 * better-sqlite3 with the service's durability (WAL, synchronous=FULL). The inserts that arrive in one
 * event-loop turn commit together in one transaction, each answered only after that commit.
 */
export class SqliteRawRepository implements KeyCapsuleRepository {
  private readonly db: Sqlite.Database;
  private readonly insertStatement: Sqlite.Statement;
  private readonly selectStatement: Sqlite.Statement<[string, string], Row>;
  private queue: { capsule: StoredKeyCapsule; done: (inserted: boolean) => void; fail: (error: unknown) => void }[] = [];

  constructor(path: string) {
    this.db = new Sqlite(path, { timeout: 5_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.insertStatement = this.db.prepare(`INSERT INTO key_capsule (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.selectStatement = this.db.prepare(`SELECT ${SELECTED} FROM key_capsule WHERE transaction_id = ? AND expires_at > ?`);
  }

  insert(capsule: StoredKeyCapsule): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ capsule, done, fail });
    });
  }

  async findUnexpired(transactionId: string, now: Date): Promise<StoredKeyCapsule | undefined> {
    const row = this.selectStatement.get(transactionId, sqliteInstant(now));
    return row ? capsuleOf(transactionId, row) : undefined;
  }

  async deleteExpired(): Promise<number> {
    return 0;
  }

  close(): void {
    this.db.close();
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const outcomes: boolean[] = [];
    try {
      this.db.transaction(() => {
        for (const { capsule: c } of batch) {
          try {
            this.insertStatement.run(c.transactionId, c.capsuleType, c.recipientId, c.ephemeralKeyMaterial, sqliteInstant(c.expiresAt), c.adjusted ? 1 : 0);
            outcomes.push(true);
          } catch (error) {
            if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
            outcomes.push(false);
          }
        }
      })();
    } catch (error) {
      batch.forEach((entry) => entry.fail(error));
      return;
    }
    batch.forEach((entry, i) => entry.done(outcomes[i]));
  }
}

/** node-postgres with a pool and named (server-side prepared) statements. */
export class PostgresRawRepository implements KeyCapsuleRepository {
  private readonly pool: Pool;

  constructor(url: string, poolSize: number) {
    this.pool = new Pool({ connectionString: url, max: poolSize });
  }

  async insert(c: StoredKeyCapsule): Promise<boolean> {
    try {
      await this.pool.query({
        name: 'insert-capsule',
        text: `INSERT INTO key_capsule (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
        values: [c.transactionId, c.capsuleType, c.recipientId, c.ephemeralKeyMaterial, c.expiresAt, c.adjusted],
      });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === '23505') return false;
      throw error;
    }
  }

  async findUnexpired(transactionId: string, now: Date): Promise<StoredKeyCapsule | undefined> {
    const { rows } = await this.pool.query<Row>({
      name: 'find-capsule',
      text: `SELECT ${SELECTED} FROM key_capsule WHERE transaction_id = $1 AND expires_at > $2`,
      values: [transactionId, now],
    });
    return rows[0] ? capsuleOf(transactionId, rows[0]) : undefined;
  }

  async deleteExpired(): Promise<number> {
    return 0;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
