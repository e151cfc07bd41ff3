import { KeyCapsuleService } from '@ccs/domain';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Database } from './capsule-server.module';
import { ServiceConfig } from './config';
import { DATABASE, SERVICE_CONFIG } from './tokens';

/** Deletes expired capsules on an interval; several instances may run it against one database at once. */
@Injectable()
export class PurgeScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Purge');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly capsules: KeyCapsuleService,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(DATABASE) private readonly database: Pick<Database, 'purgeBatchSize'>,
  ) {}

  onApplicationBootstrap(): void {
    const purge = this.config.purge;
    if (!purge) return;
    const batchSize = purge.batchSize ?? this.database.purgeBatchSize;
    this.timer = setInterval(() => this.runOnce(batchSize), purge.intervalMs).unref();
    this.runOnce(batchSize);
  }

  // A purge of a large backlog takes minutes on SQLite; shutdown waits only for its current batch.
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private runOnce(batchSize: number): void {
    if (this.running || this.stopping.signal.aborted) return;
    const started = Date.now();
    this.running = this.capsules
      .purgeExpired(batchSize, this.stopping.signal)
      .then((deleted) => {
        if (deleted > 0) this.logger.log({ deleted, durationMs: Date.now() - started }, 'purged expired capsules');
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'purge failed'))
      .finally(() => (this.running = undefined));
  }
}
