import { CapsuleType } from '@ccs/domain';
import { eccSecp256r1, eccSecp384r1, eccSecp521r1 } from './lib/ec-capsule-type';
import { rsa } from './lib/rsa-capsule-type';

/** KeyServerCapsule (spec 16.6.1): the recipient is the holder of a public key, proven over mutual TLS. */
export const keyServerCapsuleTypes: readonly CapsuleType[] = [eccSecp256r1, eccSecp384r1, eccSecp521r1, rsa];
