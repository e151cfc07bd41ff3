export * from './lib/bootstrap';
export * from './lib/capsule-server.module';
export * from './lib/config';
export * from './lib/iso-duration';
export * from './lib/key-capsule.dto';
export * from './lib/problem-details.filter';
export * from './lib/tokens';
