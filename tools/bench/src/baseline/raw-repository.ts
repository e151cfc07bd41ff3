import { KeyCapsuleRepository, StoredKeyCapsule } from '@ccs/domain';
// The module alone: the package's index would load TypeORM into the framework-free baseline.
import { SqliteInsertBatch } from '@ccs/persistence/sqlite-insert-batch';
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
 * better-sqlite3 with the service's durability and its group commit (WAL, synchronous=NORMAL, each
 * insert answered once the log holding it is on disk): the same module, so the same work.
 */
export class SqliteRawRepository implements KeyCapsuleRepository {
  private readonly db: Sqlite.Database;
  private readonly inserts: SqliteInsertBatch;
  private readonly selectStatement: Sqlite.Statement<[string, string], Row>;

  constructor(path: string) {
    this.db = new Sqlite(path, { timeout: 5_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.inserts = new SqliteInsertBatch(() => this.db, `INSERT INTO key_capsule (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.selectStatement = this.db.prepare(`SELECT ${SELECTED} FROM key_capsule WHERE transaction_id = ? AND expires_at > ?`);
  }

  async insert(c: StoredKeyCapsule): Promise<boolean> {
    try {
      await this.inserts.insert([c.transactionId, c.capsuleType, c.recipientId, c.ephemeralKeyMaterial, sqliteInstant(c.expiresAt), c.adjusted ? 1 : 0]);
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw error;
    }
  }

  async findUnexpired(transactionId: string, now: Date): Promise<StoredKeyCapsule | undefined> {
    const row = this.selectStatement.get(transactionId, sqliteInstant(now));
    return row ? capsuleOf(transactionId, row) : undefined;
  }

  async deleteExpired(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    await this.inserts.close();
    this.db.close();
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
