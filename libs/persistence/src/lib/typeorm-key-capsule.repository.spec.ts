import {
  CapsuleTypeRegistry,
  ExpiryPolicy,
  KeyCapsuleService,
  newTransactionId,
  StoredKeyCapsule,
} from '@ccs/domain';
import { createTestDatabase, createTestSqliteDatabase, TestDatabase } from '@ccs/test-support';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { DataSource, QueryFailedError } from 'typeorm';
import { KEY_CAPSULE_ENTITY, KeyCapsuleRecord } from './key-capsule.entity';
import { KeyCapsuleDatabase, openDatabase } from './open-database';
import { KEY_CAPSULE_SQL, TypeOrmKeyCapsuleRepository } from './typeorm-key-capsule.repository';

const NOW = new Date('2026-03-01T12:00:00Z');
const LATER = new Date('2027-05-30T03:18:05Z');
const EARLIER = new Date('2025-11-02T08:00:00Z');

const DIALECTS = [
  { dialect: 'sqlite', createDatabase: createTestSqliteDatabase },
  { dialect: 'postgres', createDatabase: createTestDatabase },
] as const;

function capsule(overrides: Partial<StoredKeyCapsule> = {}): StoredKeyCapsule {
  return {
    transactionId: newTransactionId(),
    capsuleType: 'ecc_secp384r1',
    recipientId: Buffer.concat([Buffer.from([0x04]), randomBytes(96)]),
    ephemeralKeyMaterial: Buffer.concat([Buffer.from([0x04]), randomBytes(96)]),
    expiresAt: LATER,
    adjusted: false,
    ...overrides,
  };
}

/** Bulk rows through the entity mapping, for the tests that need thousands of them. */
async function fill(dataSource: DataSource, count: number, expiresAt: Date): Promise<string[]> {
  const rows: Omit<KeyCapsuleRecord, 'createdAt'>[] = Array.from({ length: count }, () => ({
    transactionId: newTransactionId(),
    capsuleType: 'ecc_secp256r1',
    recipientId: randomBytes(65),
    ephemeralKeyMaterial: randomBytes(65),
    expiresAt,
    expiryAdjusted: false,
  }));
  await dataSource.transaction(async (manager) => {
    for (let start = 0; start < rows.length; start += 500) {
      await manager.createQueryBuilder().insert().into(KEY_CAPSULE_ENTITY).values(rows.slice(start, start + 500)).execute();
    }
  });
  return rows.map((row) => row.transactionId);
}

/**
 * How many frames the WAL holds and how many of them a checkpoint has copied into the database file,
 * read from the wal-index header in the -shm file (mxFrame at byte 16, nBackfill at byte 96, in the
 * machine's byte order; https://sqlite.org/walformat.html). Reading it does not checkpoint, as the pragma would.
 */
function walIndex(shmPath: string): { frames: number; backfilled: number } {
  const header = readFileSync(shmPath).subarray(0, 100);
  return os.endianness() === 'LE'
    ? { frames: header.readUInt32LE(16), backfilled: header.readUInt32LE(96) }
    : { frames: header.readUInt32BE(16), backfilled: header.readUInt32BE(96) };
}

async function storedIds(dataSource: DataSource): Promise<string[]> {
  const rows: { transaction_id: string }[] = await dataSource.query('SELECT transaction_id FROM key_capsule');
  return rows.map((row) => row.transaction_id).sort();
}

/** Everything an error logger could serialise: the error's own properties, recursively. */
function reachableValues(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (seen.has(value)) return;
    seen.add(value);
    if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const key of Object.getOwnPropertyNames(value)) visit((value as Record<string, unknown>)[key]);
    }
  };
  visit(root);
  return [...seen];
}

function purgeService(repository: TypeOrmKeyCapsuleRepository): KeyCapsuleService {
  return new KeyCapsuleService(repository, new CapsuleTypeRegistry([]), new ExpiryPolicy({ days: 1 }, { days: 2 }), () => NOW);
}

function useMigratedDatabase(createDatabase: () => Promise<TestDatabase>) {
  const state = {} as { testDb: TestDatabase; db: KeyCapsuleDatabase };
  beforeAll(async () => {
    state.testDb = await createDatabase();
    state.db = await openDatabase(state.testDb.url, { migrate: true });
  });
  afterAll(async () => {
    await state.db?.close();
    await state.testDb?.drop();
  });
  beforeEach(() => state.db.dataSource.query('DELETE FROM key_capsule'));
  return state;
}

describe.each(DIALECTS)('TypeOrmKeyCapsuleRepository on $dialect', ({ createDatabase }) => {
  const state = useMigratedDatabase(createDatabase);
  const repository = () => state.db.repository;

  it('gives back exactly what was stored', async () => {
    const stored = capsule({
      capsuleType: 'rsa',
      recipientId: Buffer.concat([Buffer.alloc(3), randomBytes(2060), Buffer.alloc(3)]),
      ephemeralKeyMaterial: randomBytes(2100),
      adjusted: true,
    });
    expect(await repository().insert(stored)).toBe(true);

    const found = await repository().findUnexpired(stored.transactionId, NOW);
    expect(found).toEqual(stored);
    expect(Buffer.isBuffer(found?.recipientId)).toBe(true);
    expect(found?.recipientId.equals(stored.recipientId)).toBe(true);
    expect(found?.ephemeralKeyMaterial.equals(stored.ephemeralKeyMaterial)).toBe(true);
    expect(found?.expiresAt.toISOString()).toBe('2027-05-30T03:18:05.000Z');
    expect(found?.adjusted).toBe(true);
  });

  it('keeps false for an unadjusted expiry', async () => {
    const stored = capsule({ adjusted: false });
    await repository().insert(stored);
    expect((await repository().findUnexpired(stored.transactionId, NOW))?.adjusted).toBe(false);
  });

  it('refuses a taken transaction id and keeps the first capsule', async () => {
    const first = capsule();
    const second = capsule({ transactionId: first.transactionId, capsuleType: 'ecc_secp256r1', expiresAt: NOW });
    expect(await repository().insert(first)).toBe(true);
    expect(await repository().insert(second)).toBe(false);
    expect(await repository().findUnexpired(first.transactionId, EARLIER)).toEqual(first);
  });

  it('rethrows other failures without the capsule in them', async () => {
    const invalid = capsule({ capsuleType: undefined as unknown as string });
    const failure = await repository().insert(invalid).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as Error).message).toMatch(/capsule_type/);
    const secrets = [invalid.recipientId, invalid.ephemeralKeyMaterial];
    for (const value of reachableValues(failure)) {
      for (const secret of secrets) {
        if (Buffer.isBuffer(value)) expect(value.equals(secret)).toBe(false);
        if (typeof value === 'string') expect(value.toLowerCase()).not.toContain(secret.toString('hex').slice(0, 32));
      }
    }
  });

  it('does not serve a capsule at or after its expiry', async () => {
    const stored = capsule();
    await repository().insert(stored);
    expect(await repository().findUnexpired(stored.transactionId, new Date(LATER.getTime() - 1))).toEqual(stored);
    expect(await repository().findUnexpired(stored.transactionId, LATER)).toBeUndefined();
    expect(await repository().findUnexpired(stored.transactionId, new Date(LATER.getTime() + 1000))).toBeUndefined();
  });

  it('finds nothing under an unknown id', async () => {
    await repository().insert(capsule());
    expect(await repository().findUnexpired(newTransactionId(), NOW)).toBeUndefined();
  });

  it('records when the capsule was stored, readable through the entity as well', async () => {
    const stored = capsule();
    const before = Date.now();
    await repository().insert(stored);
    const after = Date.now();
    const record = await state.db.dataSource
      .getRepository<KeyCapsuleRecord>(KEY_CAPSULE_ENTITY)
      .findOneByOrFail({ transactionId: stored.transactionId });
    expect(record).toEqual({
      transactionId: stored.transactionId,
      capsuleType: stored.capsuleType,
      recipientId: stored.recipientId,
      ephemeralKeyMaterial: stored.ephemeralKeyMaterial,
      createdAt: expect.any(Date),
      expiresAt: stored.expiresAt,
      expiryAdjusted: stored.adjusted,
    });
    expect(record.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(record.createdAt.getTime()).toBeLessThanOrEqual(after + 1000);
  });

  it('deletes only expired capsules, at most batchSize at a time', async () => {
    const expired = [capsule({ expiresAt: EARLIER }), capsule({ expiresAt: EARLIER }), capsule({ expiresAt: EARLIER })];
    const atNow = capsule({ expiresAt: NOW });
    const live = [capsule(), capsule({ expiresAt: new Date(NOW.getTime() + 1000) })];
    for (const c of [...expired, atNow, ...live]) await repository().insert(c);

    expect(await repository().deleteExpired(NOW, 3)).toBe(3);
    expect(await repository().deleteExpired(NOW, 3)).toBe(1);
    expect(await repository().deleteExpired(NOW, 3)).toBe(0);
    expect(await storedIds(state.db.dataSource)).toEqual(live.map((c) => c.transactionId).sort());
  });

  it('refuses a batch size that is not a positive integer', async () => {
    await expect(repository().deleteExpired(NOW, 0)).rejects.toThrow(RangeError);
    await expect(repository().deleteExpired(NOW, 2.5)).rejects.toThrow(RangeError);
  });

  it('purges concurrently from several instances, deleting each expired capsule once', async () => {
    const expired = await fill(state.db.dataSource, 5000, EARLIER);
    const live = await fill(state.db.dataSource, 300, LATER);
    const instances = await Promise.all([1, 2, 3, 4].map(() => openDatabase(state.testDb.url)));
    try {
      const deleted = await Promise.all(instances.map((db) => purgeService(db.repository).purgeExpired(200)));
      expect(deleted.reduce((sum, n) => sum + n, 0)).toBe(expired.length);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
    }
    expect(await storedIds(state.db.dataSource)).toEqual([...live].sort());
  });

  it('matches the entity: the schema builder finds nothing to change after the migrations', async () => {
    const pending = await state.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});

describe('TypeOrmKeyCapsuleRepository on PostgreSQL specifically', () => {
  const state = useMigratedDatabase(createTestDatabase);

  it('stores instants as timestamptz and binary fields as bytea', async () => {
    const columns: { column_name: string; data_type: string; character_maximum_length: number | null; is_nullable: string }[] =
      await state.db.dataSource.query(
        `SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = 'key_capsule' ORDER BY ordinal_position`,
      );
    expect(columns).toEqual([
      { column_name: 'transaction_id', data_type: 'character varying', character_maximum_length: 34, is_nullable: 'NO' },
      { column_name: 'capsule_type', data_type: 'character varying', character_maximum_length: 64, is_nullable: 'NO' },
      { column_name: 'recipient_id', data_type: 'bytea', character_maximum_length: null, is_nullable: 'NO' },
      { column_name: 'ephemeral_key_material', data_type: 'bytea', character_maximum_length: null, is_nullable: 'NO' },
      { column_name: 'created_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'NO' },
      { column_name: 'expires_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'NO' },
      { column_name: 'expiry_adjusted', data_type: 'boolean', character_maximum_length: null, is_nullable: 'NO' },
    ]);
  });

  it('stores the expiry instant itself, whatever the session time zone', async () => {
    const url = new URL(state.testDb.url);
    url.searchParams.set('options', '-c TimeZone=Pacific/Chatham');
    const chatham = await openDatabase(url.toString());
    try {
      expect(await chatham.dataSource.query('SHOW TimeZone')).toEqual([{ TimeZone: 'Pacific/Chatham' }]);
      const stored = capsule();
      await chatham.repository.insert(stored);
      const [row] = await state.db.dataSource.query(
        "SELECT expires_at = '2027-05-30T03:18:05Z'::timestamptz AS exact FROM key_capsule WHERE transaction_id = $1",
        [stored.transactionId],
      );
      expect(row).toEqual({ exact: true });
      expect(await chatham.repository.findUnexpired(stored.transactionId, NOW)).toEqual(stored);
    } finally {
      await chatham.close();
    }
  });

  it('skips capsules another purge holds instead of waiting for them', async () => {
    await fill(state.db.dataSource, 10, EARLIER);
    const holder = state.db.dataSource.createQueryRunner();
    await holder.startTransaction();
    try {
      await holder.query('SELECT transaction_id FROM key_capsule ORDER BY expires_at LIMIT 4 FOR UPDATE');
      const deleted = await Promise.race([
        state.db.repository.deleteExpired(NOW, 100),
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000).unref()),
      ]);
      expect(deleted).toBe(6);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    expect(await storedIds(state.db.dataSource)).toHaveLength(4);
  });

  it('prepares the insert and the read once per connection and executes them as prepared statements', async () => {
    const single = await openDatabase(state.testDb.url, { poolSize: 1 });
    try {
      const stored = [capsule(), capsule(), capsule()];
      for (const c of stored) await single.repository.insert(c);
      for (const c of stored) expect(await single.repository.findUnexpired(c.transactionId, NOW)).toEqual(c);
      // The pool's one connection is the session that holds them.
      const prepared: { name: string; statement: string; executions: number }[] = await single.dataSource.query(
        'SELECT name, statement, (generic_plans + custom_plans)::int AS executions FROM pg_prepared_statements ORDER BY name',
      );
      expect(prepared).toEqual([
        { name: 'ccs_find_key_capsule', statement: KEY_CAPSULE_SQL.postgres.findUnexpired, executions: 3 },
        { name: 'ccs_insert_key_capsule', statement: KEY_CAPSULE_SQL.postgres.insert, executions: 3 },
      ]);
    } finally {
      await single.close();
    }
  });

  it('finds the expired capsules through the expires_at index', async () => {
    await fill(state.db.dataSource, 20_000, LATER);
    await fill(state.db.dataSource, 2_000, EARLIER);
    await state.db.dataSource.query('ANALYZE key_capsule');
    const [{ 'QUERY PLAN': plan }] = await state.db.dataSource.query(
      `EXPLAIN (FORMAT JSON) ${KEY_CAPSULE_SQL.postgres.deleteExpired}`,
      [NOW, 500],
    );
    const nodes = JSON.stringify(plan);
    expect(nodes).toContain('"Index Name":"IDX_key_capsule_expires_at"');
    expect(nodes).not.toContain('"Node Type":"Seq Scan"');
  });
});

describe('TypeOrmKeyCapsuleRepository on SQLite specifically', () => {
  const state = useMigratedDatabase(createTestSqliteDatabase);

  it('stores instants as UTC text that orders like the instants, and binary fields as blobs', async () => {
    const stored = capsule();
    await state.db.repository.insert(stored);
    const [row] = await state.db.dataSource.query(
      `SELECT expires_at, typeof(expires_at) AS expires_type, typeof(recipient_id) AS recipient_type,
              typeof(created_at) AS created_type, typeof(expiry_adjusted) AS adjusted_type
       FROM key_capsule WHERE transaction_id = ?`,
      [stored.transactionId],
    );
    expect(row).toEqual({
      expires_at: '2027-05-30 03:18:05.000',
      expires_type: 'text',
      recipient_type: 'blob',
      created_type: 'text',
      adjusted_type: 'integer',
    });
  });

  it('commits concurrent inserts together; a taken id fails alone and the rest are visible to another connection', async () => {
    const capsules = Array.from({ length: 20 }, () => capsule());
    const duplicate = capsule({ transactionId: capsules[0].transactionId });
    const results = await Promise.all([...capsules, duplicate].map((c) => state.db.repository.insert(c)));
    expect(results).toEqual([...capsules.map(() => true), false]);
    const other = await openDatabase(`sqlite:${state.db.dataSource.options.database}`);
    try {
      for (const c of capsules) expect(await other.repository.findUnexpired(c.transactionId, NOW)).toEqual(c);
    } finally {
      await other.close();
    }
  });

  it('writes the pages of each purge batch back into the database file', async () => {
    // The inserts of earlier tests started the checkpoint thread; while it checkpoints, the purge's
    // own checkpoint finds SQLite's checkpoint lock taken and copies nothing. Here only the purge's.
    await state.db.repository.close();
    await fill(state.db.dataSource, 300, EARLIER);
    const wal = () => walIndex(`${state.db.dataSource.options.database}-shm`);
    expect(wal().backfilled).toBeLessThan(wal().frames);
    expect(await state.db.repository.deleteExpired(NOW, 100)).toBe(100);
    expect(wal().frames).toBeGreaterThan(0);
    expect(wal().backfilled).toBe(wal().frames);
  });

  it('writes created_at in the same form as TypeORM writes instants', async () => {
    await state.db.repository.insert(capsule());
    const [{ created_at }] = await state.db.dataSource.query('SELECT created_at FROM key_capsule');
    expect(created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
  });

  it('finds the expired capsules through the expires_at index', async () => {
    await fill(state.db.dataSource, 2_000, LATER);
    await fill(state.db.dataSource, 200, EARLIER);
    await state.db.dataSource.query('ANALYZE');
    const plan: { detail: string }[] = await state.db.dataSource.query(
      `EXPLAIN QUERY PLAN ${KEY_CAPSULE_SQL.sqlite.deleteExpired}`,
      ['2026-03-01 12:00:00.000', 1000],
    );
    const details = plan.map((step) => step.detail).join('\n');
    expect(details).toMatch(/SEARCH key_capsule USING (COVERING )?INDEX IDX_key_capsule_expires_at \(expires_at<\?\)/);
  });
});
