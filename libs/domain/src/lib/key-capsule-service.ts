import { KeyObject, timingSafeEqual } from 'node:crypto';
import { CapsuleError } from './capsule-error';
import { CapsuleTypeRegistry } from './capsule-type';
import { ExpiryPolicy } from './expiry-policy';
import { KeyCapsule, StoredKeyCapsule } from './key-capsule';
import { KeyCapsuleRepository } from './key-capsule-repository';
import { newTransactionId } from './transaction-id';

const MAX_ID_ATTEMPTS = 3;

/** The two use cases of the key-capsule server, free of transport and storage. */
export class KeyCapsuleService {
  // A client's key object lives as long as its connection: keep-alive requests reuse its encodings.
  private readonly recipientIds = new WeakMap<KeyObject, Map<string, Buffer | undefined>>();

  constructor(
    private readonly repository: KeyCapsuleRepository,
    private readonly types: CapsuleTypeRegistry,
    private readonly expiryPolicy: ExpiryPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Validates and durably stores a capsule under a fresh transaction id. */
  async store(capsule: KeyCapsule, requestedExpiry?: string): Promise<StoredKeyCapsule> {
    this.types.validate(capsule);
    const expiry = this.expiryPolicy.resolve(requestedExpiry, this.now());
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      const stored: StoredKeyCapsule = { ...capsule, ...expiry, transactionId: newTransactionId() };
      if (await this.repository.insert(stored)) return stored;
    }
    throw new CapsuleError('transaction_id_exhausted', 'no free transaction id was found');
  }

  /**
   * The unexpired capsule with this id if it is addressed to the holder of `recipientKey`.
   * Unknown, expired and someone else's capsules are all simply undefined.
   */
  async fetchFor(transactionId: string, recipientKey: KeyObject): Promise<StoredKeyCapsule | undefined> {
    const capsule = await this.repository.findUnexpired(transactionId, this.now());
    if (!capsule) return undefined;
    const expected = this.recipientIdOf(recipientKey, capsule.capsuleType);
    if (!expected || expected.length !== capsule.recipientId.length) return undefined;
    return timingSafeEqual(expected, capsule.recipientId) ? capsule : undefined;
  }

  private recipientIdOf(key: KeyObject, capsuleType: string): Buffer | undefined {
    let byType = this.recipientIds.get(key);
    if (!byType) this.recipientIds.set(key, (byType = new Map()));
    if (!byType.has(capsuleType)) byType.set(capsuleType, this.types.find(capsuleType)?.recipientIdOf(key));
    return byType.get(capsuleType);
  }

  /**
   * Deletes every capsule expired by now, in batches so that no statement holds locks for long;
   * `stop` ends it after the batch in progress (what is left waits for the next purge).
   */
  async purgeExpired(batchSize: number, stop?: AbortSignal): Promise<number> {
    const now = this.now();
    let total = 0;
    while (!stop?.aborted) {
      const started = performance.now();
      const deleted = await this.repository.deleteExpired(now, batchSize);
      total += deleted;
      if (deleted < batchSize) break;
      // Pause as long as the batch took: a synchronous driver (SQLite) holds the event loop while it deletes, and requests need it too.
      await new Promise((resolve) => setTimeout(resolve, performance.now() - started));
    }
    return total;
  }
}
