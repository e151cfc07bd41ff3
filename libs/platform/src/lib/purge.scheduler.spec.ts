import { CapsuleTypeRegistry, ExpiryPolicy, KeyCapsuleRepository, KeyCapsuleService } from '@ccs/domain';
import { ServiceConfig } from './config';
import { PurgeScheduler } from './purge.scheduler';

/** A backlog that never ends: every batch is full and takes a few milliseconds. */
class EndlessBacklog implements KeyCapsuleRepository {
  batches = 0;
  async insert(): Promise<boolean> {
    return true;
  }
  async findUnexpired() {
    return undefined;
  }
  async deleteExpired(_now: Date, batchSize: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    this.batches++;
    return batchSize;
  }
}

describe('PurgeScheduler', () => {
  it('on shutdown, waits for the batch in progress but not for the rest of the backlog', async () => {
    const repository = new EndlessBacklog();
    const service = new KeyCapsuleService(repository, new CapsuleTypeRegistry([]), new ExpiryPolicy({ days: 1 }, { days: 2 }));
    const config = { purge: { intervalMs: 60_000, batchSize: 25 } } as ServiceConfig;
    const scheduler = new PurgeScheduler(service, config);
    scheduler.onApplicationBootstrap();
    while (repository.batches < 3) await new Promise((resolve) => setTimeout(resolve, 1));

    await scheduler.onApplicationShutdown();
    const afterShutdown = repository.batches;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(repository.batches).toBe(afterShutdown);
  });
});
