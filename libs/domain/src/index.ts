export * from './lib/capsule-error';
export * from './lib/capsule-type';
export * from './lib/duration';
export * from './lib/expiry-policy';
export * from './lib/key-capsule';
export * from './lib/key-capsule-repository';
export * from './lib/key-capsule-service';
export * from './lib/transaction-id';
