/** A capsule as the sender submits it: binary fields already decoded from base64. */
export interface KeyCapsule {
  readonly capsuleType: string;
  readonly recipientId: Buffer;
  readonly ephemeralKeyMaterial: Buffer;
}

export interface Expiry {
  /** Whole seconds, UTC. */
  readonly expiresAt: Date;
  /** True when the requested expiry was shortened to the server's maximum. */
  readonly adjusted: boolean;
}

export interface StoredKeyCapsule extends KeyCapsule, Expiry {
  readonly transactionId: string;
}
