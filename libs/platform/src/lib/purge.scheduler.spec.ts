import { CapsuleTypeRegistry, ExpiryPolicy, KeyCapsuleRepository, KeyCapsuleService } from '@ccs/domain';
import { ServiceConfig } from './config';
import { PurgeScheduler } from './purge.scheduler';

/** A backlog that never ends: every batch is full and takes a few milliseconds. */
class EndlessBacklog implements KeyCapsuleRepository {
  batches = 0;
  readonly batchSizes = new Set<number>();
  async insert(): Promise<boolean> {
    return true;
  }
  async findUnexpired() {
    return undefined;
  }
  async deleteExpired(_now: Date, batchSize: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    this.batches++;
    this.batchSizes.add(batchSize);
    return batchSize;
  }
}

/** Runs a scheduler over an endless backlog until it has deleted three batches, then shuts it down. */
async function purgeAndShutDown(configuredBatchSize: number | undefined, databaseBatchSize: number) {
  const repository = new EndlessBacklog();
  const service = new KeyCapsuleService(repository, new CapsuleTypeRegistry([]), new ExpiryPolicy({ days: 1 }, { days: 2 }));
  const config = { purge: { intervalMs: 60_000, batchSize: configuredBatchSize } } as ServiceConfig;
  const scheduler = new PurgeScheduler(service, config, { purgeBatchSize: databaseBatchSize });
  scheduler.onApplicationBootstrap();
  while (repository.batches < 3) await new Promise((resolve) => setTimeout(resolve, 1));
  await scheduler.onApplicationShutdown();
  return repository;
}

describe('PurgeScheduler', () => {
  it('on shutdown, waits for the batch in progress but not for the rest of the backlog', async () => {
    const repository = await purgeAndShutDown(25, 1000);
    const afterShutdown = repository.batches;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(repository.batches).toBe(afterShutdown);
  });

  it("deletes in the database's batch size unless one is configured", async () => {
    expect([...(await purgeAndShutDown(undefined, 7)).batchSizes]).toEqual([7]);
    expect([...(await purgeAndShutDown(25, 7)).batchSizes]).toEqual([25]);
  });
});
