import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export const PURGE_LOG_MESSAGE = 'purged expired capsules';

export interface PurgeLogged {
  readonly deleted: number;
  readonly durationMs: number;
}

/**
 * Follows a service's log from a byte offset for its first purge line. Each poll reads only what was
 * appended since the previous one: the bench polls from the load generator's process, where
 * re-reading a log that grows by every request would delay the requests it measures.
 */
export class PurgeLogWatcher {
  private position: number;
  private partialLine = '';
  private readonly decoder = new StringDecoder('utf8');
  private found: PurgeLogged | undefined;

  constructor(
    private readonly file: string,
    offset: number,
  ) {
    this.position = offset;
  }

  poll(): PurgeLogged | undefined {
    if (this.found || !existsSync(this.file)) return this.found;
    const size = statSync(this.file).size;
    if (size <= this.position) return undefined;
    const buffer = Buffer.alloc(size - this.position);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.position);
    } finally {
      closeSync(fd);
    }
    this.position = size;
    const lines = (this.partialLine + this.decoder.write(buffer)).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) {
      this.found = purgeEntry(line);
      if (this.found) break;
    }
    return this.found;
  }
}

function purgeEntry(line: string): PurgeLogged | undefined {
  if (!line.includes(PURGE_LOG_MESSAGE)) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; deleted?: unknown; durationMs?: unknown };
    if (entry.msg === PURGE_LOG_MESSAGE && typeof entry.deleted === 'number' && typeof entry.durationMs === 'number') {
      return { deleted: entry.deleted, durationMs: entry.durationMs };
    }
  } catch {
    // not a JSON line
  }
  return undefined;
}
