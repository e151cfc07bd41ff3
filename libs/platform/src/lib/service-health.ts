import { Inject, Injectable } from '@nestjs/common';
import type { Database } from './capsule-server.module';
import { DATABASE } from './tokens';

// A well-formed id that no capsule has: reading it needs a reachable database with the migrated table.
const PROBE_ID = `KC${'0'.repeat(32)}`;

export interface Readiness {
  readonly ready: boolean;
  readonly checks: { readonly database: boolean; readonly tls: boolean; readonly shuttingDown: boolean };
}

/** Liveness is the process answering; readiness is what a load balancer should route on. */
@Injectable()
export class ServiceHealth {
  private tlsLoaded = false;
  private stopping = false;

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  listening(): void {
    this.tlsLoaded = true;
  }

  shuttingDown(): void {
    this.stopping = true;
  }

  async readiness(): Promise<Readiness> {
    const database = this.stopping ? false : await this.database.repository.findUnexpired(PROBE_ID, new Date()).then(
      () => true,
      () => false,
    );
    const checks = { database, tls: this.tlsLoaded, shuttingDown: this.stopping };
    return { ready: database && this.tlsLoaded && !this.stopping, checks };
  }
}
