import { keyServerCapsuleTypes } from '@ccs/capsule-types/key-server';
import { CapsuleTypeRegistry } from '@ccs/domain';

/** Every capsule type this server offers. A new type is a library under libs/capsule-types/ and a line here. */
export const capsuleTypes = new CapsuleTypeRegistry([...keyServerCapsuleTypes]);
