export * from './lib/client-identity';
export * from './lib/pem';
