/** Stable codes of domain errors; the HTTP layer maps each to a status in one table. */
export type CapsuleErrorCode =
  | 'invalid_capsule'
  | 'unknown_capsule_type'
  | 'invalid_expiry_time'
  | 'transaction_id_exhausted';

export class CapsuleError extends Error {
  constructor(
    readonly code: CapsuleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CapsuleError';
  }
}
