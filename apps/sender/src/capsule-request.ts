import { KeyCapsule } from '@ccs/domain';
import { HttpProblem } from '@ccs/platform';
import type { Request } from 'express';

// The rules KeyCapsuleDto documents, checked directly: class-validator's validateSync costs more than the rest of the parsing.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_FIELDS = ['recipient_id', 'ephemeral_key_material'] as const;

function fieldProblems(fields: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const name of BASE64_FIELDS) {
    const value = fields[name];
    if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) problems.push(`${name} must be base64 encoded`);
    if (typeof value !== 'string') problems.push(`${name} must be a string`);
  }
  if (typeof fields['capsule_type'] !== 'string') problems.push('capsule_type must be a string');
  return problems;
}

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
  const problems = fieldProblems(fields);
  if (problems.length > 0) throw new HttpProblem(400, problems.join('; '));
  return {
    capsuleType: fields['capsule_type'] as string,
    recipientId: Buffer.from(fields['recipient_id'] as string, 'base64'),
    ephemeralKeyMaterial: Buffer.from(fields['ephemeral_key_material'] as string, 'base64'),
  };
}
