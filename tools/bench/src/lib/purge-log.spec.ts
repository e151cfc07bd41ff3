import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PurgeLogWatcher } from './purge-log';

describe('PurgeLogWatcher', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ccs-purge-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the first purge line after the offset, also when it arrives in pieces across polls', () => {
    const file = join(dir, 'recipient.log');
    const before = `${JSON.stringify({ msg: 'purged expired capsules', deleted: 1, durationMs: 1 })}\n`;
    writeFileSync(file, before);
    const watcher = new PurgeLogWatcher(file, Buffer.byteLength(before));
    expect(watcher.poll()).toBeUndefined();

    const line = JSON.stringify({ level: 30, msg: 'purged expired capsules', deleted: 1_000_000, durationMs: 72_000, note: 'ülo' });
    const bytes = Buffer.from(`${JSON.stringify({ msg: 'request completed', statusCode: 200 })}\n${line}\n`);
    const cut = bytes.indexOf('ü') + 1; // inside the two bytes of one character
    appendFileSync(file, bytes.subarray(0, cut));
    expect(watcher.poll()).toBeUndefined();
    appendFileSync(file, bytes.subarray(cut));
    expect(watcher.poll()).toEqual({ deleted: 1_000_000, durationMs: 72_000 });

    appendFileSync(file, `${JSON.stringify({ msg: 'purged expired capsules', deleted: 5, durationMs: 5 })}\n`);
    expect(watcher.poll()).toEqual({ deleted: 1_000_000, durationMs: 72_000 });
  });

  it('ignores lines that only mention the message', () => {
    const file = join(dir, 'recipient.log');
    writeFileSync(file, `purged expired capsules, but not JSON\n${JSON.stringify({ msg: 'purged expired capsules' })}\n`);
    expect(new PurgeLogWatcher(file, 0).poll()).toBeUndefined();
  });
});
