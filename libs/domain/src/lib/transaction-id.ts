import { randomBytes } from 'node:crypto';

const TRANSACTION_ID_PREFIX = 'KC';

/** `KC` and 128 random bits as 32 lowercase hex digits: the form every CDOC2 client expects. */
export function newTransactionId(): string {
  return TRANSACTION_ID_PREFIX + randomBytes(16).toString('hex');
}

/** The API accepts 18..34 characters; ids of other servers may use other alphabets. */
export const TRANSACTION_ID_MIN_LENGTH = 18;
export const TRANSACTION_ID_MAX_LENGTH = 34;

export function hasValidTransactionIdLength(id: string): boolean {
  return id.length >= TRANSACTION_ID_MIN_LENGTH && id.length <= TRANSACTION_ID_MAX_LENGTH;
}
