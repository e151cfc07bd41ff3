import { KeyCapsule, KeyCapsuleService, StoredKeyCapsule } from '@ccs/domain';
import type { KeyObject } from 'node:crypto';
import { ServiceMetrics } from './service-metrics';

/** The use cases, counted: capsules stored, served, not found and purged, and how long purges take. */
export class MeteredKeyCapsuleService extends KeyCapsuleService {
  constructor(
    private readonly metrics: ServiceMetrics,
    ...args: ConstructorParameters<typeof KeyCapsuleService>
  ) {
    super(...args);
  }

  override async store(capsule: KeyCapsule, requestedExpiry?: string): Promise<StoredKeyCapsule> {
    const stored = await super.store(capsule, requestedExpiry);
    this.metrics.capsulesStored.inc();
    return stored;
  }

  override async fetchFor(transactionId: string, recipientKey: KeyObject): Promise<StoredKeyCapsule | undefined> {
    const capsule = await super.fetchFor(transactionId, recipientKey);
    (capsule ? this.metrics.capsulesServed : this.metrics.capsulesNotFound).inc();
    return capsule;
  }

  override async purgeExpired(batchSize: number, stop?: AbortSignal): Promise<number> {
    const done = this.metrics.purgeDuration.startTimer();
    const deleted = await super.purgeExpired(batchSize, stop);
    done();
    this.metrics.capsulesPurged.inc(deleted);
    return deleted;
  }
}
