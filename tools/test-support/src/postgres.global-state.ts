import type { RunningPostgres } from './lib/embedded-postgres-server';

// Jest runs globalSetup and globalTeardown in one process but loads them as separate modules.
export const EMBEDDED_POSTGRES = '__ccsEmbeddedPostgres';

export type JestGlobals = typeof globalThis & { [EMBEDDED_POSTGRES]?: RunningPostgres };
