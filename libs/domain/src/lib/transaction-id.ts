import { randomFillSync } from 'node:crypto';

const TRANSACTION_ID_PREFIX = 'KC';
const ID_BYTES = 16;

/**
 * Random bytes drawn from OpenSSL 256 ids at a time, each byte used once: a call for 16 bytes costs
 * ~3.4 µs (its locking and set-up, not the bytes), a slice of the pool ~0.1 µs. Node's randomUUID
 * keeps such a pool for the same reason.
 */
const pool = Buffer.alloc(256 * ID_BYTES);
let next = pool.length;

/** `KC` and 128 random bits as 32 lowercase hex digits: the form every CDOC2 client expects. */
export function newTransactionId(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return TRANSACTION_ID_PREFIX + pool.toString('hex', next, (next += ID_BYTES));
}

/** The API accepts 18..34 characters; ids of other servers may use other alphabets. */
export const TRANSACTION_ID_MIN_LENGTH = 18;
export const TRANSACTION_ID_MAX_LENGTH = 34;

export function hasValidTransactionIdLength(id: string): boolean {
  return id.length >= TRANSACTION_ID_MIN_LENGTH && id.length <= TRANSACTION_ID_MAX_LENGTH;
}
