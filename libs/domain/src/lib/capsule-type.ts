import { KeyObject } from 'node:crypto';
import { CapsuleError } from './capsule-error';
import { KeyCapsule } from './key-capsule';

/**
 * One `capsule_type` of the key-capsules API: how its fields are validated and how its recipient is
 * recognised from the public key of an authenticated client.
 */
export interface CapsuleType {
  readonly name: string;
  /** Why the capsule is not valid for this type, naming the field; undefined when it is valid. */
  validate(capsule: KeyCapsule): string | undefined;
  /** The `recipient_id` this client key would be addressed by, or undefined if it cannot be. */
  recipientIdOf(publicKey: KeyObject): Buffer | undefined;
}

// Decoded sizes from the API schema: a 16384-bit RSAPublicKey is 2062 bytes.
export const RECIPIENT_ID_MIN_BYTES = 65;
export const KEY_MATERIAL_MAX_BYTES = 2100;

export class CapsuleTypeRegistry {
  private readonly byName = new Map<string, CapsuleType>();

  constructor(types: readonly CapsuleType[]) {
    for (const type of types) {
      if (this.byName.has(type.name)) throw new Error(`capsule type ${type.name} is registered twice`);
      this.byName.set(type.name, type);
    }
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  find(name: string): CapsuleType | undefined {
    return this.byName.get(name);
  }

  /** Throws a CapsuleError naming the first problem found. */
  validate(capsule: KeyCapsule): CapsuleType {
    const type = this.byName.get(capsule.capsuleType);
    if (!type) {
      throw new CapsuleError('unknown_capsule_type', `capsule_type must be one of: ${this.names.join(', ')}`);
    }
    const problem =
      sizeProblem('recipient_id', capsule.recipientId, RECIPIENT_ID_MIN_BYTES) ??
      sizeProblem('ephemeral_key_material', capsule.ephemeralKeyMaterial, 1) ??
      type.validate(capsule);
    if (problem) throw new CapsuleError('invalid_capsule', problem);
    return type;
  }
}

function sizeProblem(field: string, value: Buffer, min: number): string | undefined {
  if (value.length < min || value.length > KEY_MATERIAL_MAX_BYTES) {
    return `${field} must decode to ${min}..${KEY_MATERIAL_MAX_BYTES} bytes`;
  }
  return undefined;
}
