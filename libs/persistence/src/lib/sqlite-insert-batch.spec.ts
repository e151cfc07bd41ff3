import Sqlite from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync, readlinkSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { SqliteInsertBatch, writeAheadLogOf } from './sqlite-insert-batch';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Settles as `true`, `'failed'` or not yet (`false`), for looking at without awaiting. */
function tracked(promise: Promise<unknown>) {
  const state = { settled: false as boolean | 'failed' };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = 'failed'),
  );
  return state;
}

describe('SqliteInsertBatch', () => {
  let dir: string;
  let writer: Sqlite.Database;
  let reader: Sqlite.Database;
  /** The log syncs requested so far, which each test finishes one by one. */
  let syncs: { resolve: () => void; reject: (error: Error) => void }[];
  /** How often the batch let go of the log, told it that it had grown, and closed it. */
  let releases: number;
  let growths: number;
  let closes: number;
  let batch: SqliteInsertBatch;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccs-insert-batch-'));
    const path = join(dir, 'batch.sqlite');
    writer = new Sqlite(path);
    writer.pragma('journal_mode = WAL');
    writer.pragma('synchronous = NORMAL');
    writer.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
    reader = new Sqlite(path, { readonly: true });
    syncs = [];
    releases = 0;
    growths = 0;
    closes = 0;
    const log = {
      sync: () => new Promise<void>((resolve, reject) => syncs.push({ resolve, reject })),
      release: async () => void releases++,
      grown: () => void growths++,
      close: async () => void closes++,
    };
    batch = new SqliteInsertBatch(() => writer, 'INSERT INTO t (id) VALUES (?)', () => log);
  });
  afterEach(async () => {
    reader.close();
    writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  const stored = () => (reader.prepare('SELECT id FROM t ORDER BY id').all() as { id: string }[]).map((row) => row.id);
  const commits = () => Number(reader.pragma('data_version', { simple: true }));

  it('commits the inserts of one turn together and answers them only after a sync of the log', async () => {
    const before = commits();
    const inserts = ['a', 'b', 'c'].map((id) => tracked(batch.insert([id])));
    await turn();
    expect(stored()).toEqual(['a', 'b', 'c']);
    expect(commits()).toBe(before + 1);
    expect(syncs).toHaveLength(1);
    expect(inserts.map((insert) => insert.settled)).toEqual([false, false, false]);
    syncs[0].resolve();
    await turn();
    expect(inserts.map((insert) => insert.settled)).toEqual([true, true, true]);
  });

  it('holds the inserts that arrive during a sync, then commits and syncs them as one group', async () => {
    const first = tracked(batch.insert(['a']));
    await turn();
    const before = commits();
    const later = ['b', 'c'].map((id) => tracked(batch.insert([id])));
    await turn();
    await turn();
    expect(stored()).toEqual(['a']);
    expect(syncs).toHaveLength(1);

    syncs[0].resolve();
    await turn();
    await turn();
    expect(first.settled).toBe(true);
    expect(stored()).toEqual(['a', 'b', 'c']);
    expect(commits()).toBe(before + 1);
    expect(syncs).toHaveLength(2);
    expect(later.map((insert) => insert.settled)).toEqual([false, false]);
    expect(releases).toBe(0);

    syncs[1].resolve();
    await turn();
    expect(later.map((insert) => insert.settled)).toEqual([true, true]);
    expect(releases).toBe(0);
  });

  it('lets go of the log once it has had nothing to do for its idle time, not while groups follow each other', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const group = async (id: string) => {
        const insert = tracked(batch.insert([id]));
        await turn();
        syncs[syncs.length - 1].resolve();
        await turn();
        await turn();
        expect(insert.settled).toBe(true);
      };
      await group('a');
      jest.advanceTimersByTime(999);
      await group('b');
      jest.advanceTimersByTime(999);
      expect(releases).toBe(0);
      jest.advanceTimersByTime(1);
      expect(releases).toBe(1);
      await group('c');
      expect(syncs).toHaveLength(3);
      jest.advanceTimersByTime(1000);
      expect(releases).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('tells the log it has grown after each sync that succeeded, and closes it on close', async () => {
    const first = batch.insert(['a']);
    await turn();
    expect(growths).toBe(0);
    syncs[0].resolve();
    await first;
    expect(growths).toBe(1);
    const second = batch.insert(['b']).catch(() => 'failed');
    await turn();
    await turn();
    syncs[1].reject(new Error('EIO'));
    expect(await second).toBe('failed');
    expect(growths).toBe(1);
    await batch.close();
    expect(closes).toBe(1);
  });

  it('fails a taken key at once, without waiting for the sync the others of its group wait for', async () => {
    const first = batch.insert(['a']);
    await turn();
    syncs[0].resolve();
    await first;
    const taken = batch.insert(['a']).catch((error: { code?: string }) => error.code);
    const fresh = tracked(batch.insert(['b']));
    expect(await taken).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(fresh.settled).toBe(false);
    expect(syncs).toHaveLength(2);
    syncs[1].resolve();
    await turn();
    expect(fresh.settled).toBe(true);
  });

  it('needs no sync for a group whose every insert failed', async () => {
    await Promise.all([batch.insert(['a']), turn().then(() => syncs[0].resolve())]);
    await expect(batch.insert(['a'])).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(syncs).toHaveLength(1);
    const next = tracked(batch.insert(['b']));
    await turn();
    expect(syncs).toHaveLength(2);
    syncs[1].resolve();
    await turn();
    expect(next.settled).toBe(true);
  });

  it('fails the inserts a failed sync covered, and goes on with the next group', async () => {
    const failed = batch.insert(['a']);
    await turn();
    const waiting = tracked(batch.insert(['b']));
    syncs[0].reject(new Error('EIO'));
    await expect(failed).rejects.toThrow('EIO');
    await turn();
    expect(syncs).toHaveLength(2);
    syncs[1].resolve();
    await turn();
    expect(waiting.settled).toBe(true);
  });

  it('fails a group whose connection is gone, and goes on with the next group', async () => {
    writer.close();
    await expect(batch.insert(['a'])).rejects.toThrow(/not open/);
    writer = new Sqlite(join(dir, 'batch.sqlite'));
    const next = tracked(batch.insert(['b']));
    await turn();
    syncs[0].resolve();
    await turn();
    expect(next.settled).toBe(true);
    expect(stored()).toEqual(['b']);
  });
});

describe('writeAheadLogOf', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'ccs-wal-sync-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** This process's open descriptors of the file (SQLite's own connection holds one too). */
  const descriptorsOf = (path: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false; // closed since the listing
      }
    }).length;

  it("syncs the main database's -wal file, keeping one handle from one sync to the next until released", async () => {
    const path = join(dir, 'wal.sqlite');
    const connection = new Sqlite(path);
    try {
      connection.pragma('journal_mode = WAL');
      connection.exec('CREATE TABLE t (x)');
      const sqliteOwn = descriptorsOf(`${path}-wal`);
      const log = writeAheadLogOf(connection);
      await expect(log.sync()).resolves.toBeUndefined();
      await log.sync();
      expect(descriptorsOf(`${path}-wal`)).toBe(sqliteOwn + 1);
      await log.release();
      expect(descriptorsOf(`${path}-wal`)).toBe(sqliteOwn);
      await log.sync();
      expect(descriptorsOf(`${path}-wal`)).toBe(sqliteOwn + 1);
      await log.release();
    } finally {
      connection.close();
    }
  });

  it('names the log it could not open, and tries again at the next sync', async () => {
    const path = join(dir, 'rollback.sqlite');
    const connection = new Sqlite(path);
    try {
      connection.exec('CREATE TABLE t (x)');
      const log = writeAheadLogOf(connection);
      await expect(log.sync()).rejects.toThrow(/ENOENT.*rollback\.sqlite-wal/);
      connection.pragma('journal_mode = WAL');
      connection.exec('INSERT INTO t VALUES (1)');
      await expect(log.sync()).resolves.toBeUndefined();
      await log.release();
    } finally {
      connection.close();
    }
  });

  it('lets go of a log whose sync failed, and opens it afresh at the next sync', async () => {
    const path = join(dir, 'unsyncable.sqlite');
    const connection = new Sqlite(path);
    try {
      connection.exec('CREATE TABLE t (x)');
      // A rollback-journal database has no log of its own; a device in its place refuses fdatasync.
      symlinkSync('/dev/null', `${path}-wal`);
      const log = writeAheadLogOf(connection);
      const devNullBefore = descriptorsOf('/dev/null');
      await expect(log.sync()).rejects.toThrow(/EINVAL/);
      expect(descriptorsOf('/dev/null')).toBe(devNullBefore);
      unlinkSync(`${path}-wal`);
      connection.pragma('journal_mode = WAL');
      connection.exec('INSERT INTO t VALUES (1)');
      await expect(log.sync()).resolves.toBeUndefined();
      expect(descriptorsOf(`${path}-wal`)).toBeGreaterThan(0);
      await log.release();
    } finally {
      connection.close();
    }
  });

  /** Automatic checkpoints of the connections below: not SQLite's default, so that giving them back is seen. */
  const OWN_PAGES = 777;

  /** ~2 MB of rows into the log, none of them in the database file yet. */
  function logRows(connection: Sqlite.Database): void {
    const insert = connection.prepare('INSERT INTO t VALUES (randomblob(1000))');
    connection.transaction(() => Array.from({ length: 2000 }, () => insert.run()))();
  }

  /** A database in WAL mode whose log holds every page of ~2 MB of rows, none of them in the file yet. */
  function loggedDatabase(path: string): Sqlite.Database {
    const connection = new Sqlite(path);
    connection.pragma('journal_mode = WAL');
    connection.pragma('wal_autocheckpoint = 0');
    connection.exec('CREATE TABLE t (x BLOB)');
    logRows(connection);
    connection.pragma(`wal_autocheckpoint = ${OWN_PAGES}`);
    return connection;
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) {
      if (condition()) return;
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it("copies the log's pages into the database file on a thread of its own, with the connection's automatic checkpoints off", async () => {
    const path = join(dir, 'checkpointed.sqlite');
    const connection = loggedDatabase(path);
    const log = writeAheadLogOf(connection);
    try {
      const before = statSync(path).size;
      log.grown();
      expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await until(() => statSync(path).size > before + 1_000_000, 'the pages in the database file');
    } finally {
      await log.close();
      connection.close();
    }
  });

  it('checkpoints again only when the interval since the last one has passed', async () => {
    const path = join(dir, 'throttled.sqlite');
    const connection = loggedDatabase(path);
    const log = writeAheadLogOf(connection, 60_000);
    try {
      const empty = statSync(path).size;
      log.grown();
      await until(() => statSync(path).size > empty + 1_000_000, 'the first checkpoint');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const once = statSync(path).size;
      logRows(connection);
      log.grown();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(statSync(path).size).toBe(once);
    } finally {
      await log.close();
      connection.close();
    }
  });

  it('gives the checkpoints back to SQLite when closed', async () => {
    const connection = loggedDatabase(join(dir, 'handed-back.sqlite'));
    const log = writeAheadLogOf(connection);
    try {
      log.grown();
      expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await log.close();
      expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(OWN_PAGES);
    } finally {
      connection.close();
    }
  });

  it('starts no thread for a log that was closed while a sync was under way', async () => {
    const connection = loggedDatabase(join(dir, 'closed.sqlite'));
    const log = writeAheadLogOf(connection);
    try {
      await log.close();
      log.grown();
      expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(OWN_PAGES);
    } finally {
      connection.close();
    }
  });

  it('turns the automatic checkpoints back on, with a warning, when the thread fails', async () => {
    const path = join(dir, 'unlinked.sqlite');
    const connection = loggedDatabase(path);
    const log = writeAheadLogOf(connection);
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      // The thread opens the file by name and must find it: gone, it fails at once.
      unlinkSync(path);
      log.grown();
      expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await until(() => connection.pragma('wal_autocheckpoint', { simple: true }) === OWN_PAGES, 'automatic checkpoints back on');
      expect(emitWarning).toHaveBeenCalledWith(expect.stringMatching(/^SQLite checkpoints run on the event loop: /), 'SqliteCheckpointWarning');
    } finally {
      emitWarning.mockRestore();
      await log.close();
      connection.close();
    }
  });

  it('refuses a database without a file', () => {
    const connection = new Sqlite(':memory:');
    try {
      expect(() => writeAheadLogOf(connection)).toThrow(/no file/);
    } finally {
      connection.close();
    }
  });
});
