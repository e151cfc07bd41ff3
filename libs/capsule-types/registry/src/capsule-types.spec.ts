import { capsuleTypes } from './index';

it('offers the four key-server capsule types of API 3.1.1', () => {
  expect(capsuleTypes.names).toEqual(['ecc_secp256r1', 'ecc_secp384r1', 'ecc_secp521r1', 'rsa']);
});
