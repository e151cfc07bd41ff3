import { StoredKeyCapsule } from './key-capsule';

/** The port persistence implements. */
export interface KeyCapsuleRepository {
  /**
   * Stores a new capsule and resolves once it is durably committed.
   * Resolves false, storing nothing, when the transaction id is already taken.
   */
  insert(capsule: StoredKeyCapsule): Promise<boolean>;

  /** The capsule with this id whose expiry is later than `now`, if any. */
  findUnexpired(transactionId: string, now: Date): Promise<StoredKeyCapsule | undefined>;

  /** Deletes at most `batchSize` capsules that expired at or before `now`; resolves to how many. */
  deleteExpired(now: Date, batchSize: number): Promise<number>;
}
