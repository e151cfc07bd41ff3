import { resolve } from 'node:path';

export type Dialect = 'postgres' | 'sqlite';

export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

// Messages name the variable, never the URL: it may hold a password.
const VARIABLE = 'CCS_DATABASE_URL';

/** `sqlite:<path>` (relative to `cwd`) or `postgres://…` / `postgresql://…`. */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): DatabaseTarget {
  const sqlite = /^sqlite:(.*)$/is.exec(url);
  if (sqlite) {
    if (!sqlite[1]) throw new Error(`${VARIABLE} must name a database file after sqlite:`);
    return { dialect: 'sqlite', path: resolve(cwd, sqlite[1]) };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    if (!URL.canParse(url)) throw new Error(`${VARIABLE} is not a valid PostgreSQL URL`);
    return { dialect: 'postgres', url };
  }
  throw new Error(`${VARIABLE} must start with sqlite:, postgres:// or postgresql://`);
}
