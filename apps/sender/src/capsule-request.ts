import { KeyCapsule } from '@ccs/domain';
import { HttpProblem, KeyCapsuleDto } from '@ccs/platform';
import { validateSync } from 'class-validator';
import type { Request } from 'express';

/** The capsule of a POST body: JSON only, three base64 fields; the capsule type judges the bytes. */
export function capsuleOf(request: Request): KeyCapsule {
  if (!request.is('application/json')) {
    throw new HttpProblem(400, 'Content-Type must be application/json');
  }
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, 'the request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const dto = new KeyCapsuleDto();
  dto.recipient_id = fields['recipient_id'] as string;
  dto.ephemeral_key_material = fields['ephemeral_key_material'] as string;
  dto.capsule_type = fields['capsule_type'] as string;
  const errors = validateSync(dto);
  if (errors.length > 0) {
    throw new HttpProblem(400, errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; '));
  }
  return {
    capsuleType: dto.capsule_type,
    recipientId: Buffer.from(dto.recipient_id, 'base64'),
    ephemeralKeyMaterial: Buffer.from(dto.ephemeral_key_material, 'base64'),
  };
}
