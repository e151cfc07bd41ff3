import type { ClientKey } from './client-key';
import { pinnedRequest, type ClientCredentials, type PinnedReply } from './pinned-request';
import type { ServerPin } from './server-pin';

export interface SmokeCheckOptions {
  readonly senderUrl: URL;
  readonly recipientUrl: URL;
  readonly pin: ServerPin;
  readonly client: ClientCredentials;
  readonly clientKey: ClientKey;
  readonly timeoutMs: number;
  /** How long the smoke capsule is kept; the server deletes it after that. */
  readonly lifetimeMs: number;
}

export interface Verdict {
  readonly ok: boolean;
  readonly line: string;
}

class CheckFailed extends Error {}

const LOCATION = /^\/key-capsules\/(KC[0-9a-f]{32})$/;

/** Stores a capsule for the client's key, fetches it back over mutual TLS and compares it byte for byte. */
export async function smokeCheck(options: SmokeCheckOptions): Promise<Verdict> {
  try {
    const stored = await store(options);
    await fetchAndCompare(options, stored.id, stored.capsule);
    return {
      ok: true,
      line: `OK: ${options.clientKey.capsuleType} capsule ${stored.id} stored at ${options.senderUrl.origin} and fetched back byte for byte from ${options.recipientUrl.origin}`,
    };
  } catch (error) {
    return { ok: false, line: `FAIL: ${error instanceof Error ? error.message : String(error)}` };
  }
}

interface SentCapsule {
  readonly recipientId: Buffer;
  readonly ephemeralKeyMaterial: Buffer;
}

async function store(options: SmokeCheckOptions): Promise<{ id: string; capsule: SentCapsule }> {
  const capsule: SentCapsule = { recipientId: options.clientKey.recipientId, ephemeralKeyMaterial: options.clientKey.ephemeralKeyMaterial() };
  const body = JSON.stringify({
    recipient_id: capsule.recipientId.toString('base64'),
    ephemeral_key_material: capsule.ephemeralKeyMaterial.toString('base64'),
    capsule_type: options.clientKey.capsuleType,
  });
  const expiry = new Date(Date.now() + options.lifetimeMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const reply = await pinnedRequest(endpoint(options.senderUrl), options.pin, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-expiry-time': expiry },
    body,
    timeoutMs: options.timeoutMs,
  });
  if (reply.status !== 201) throw new CheckFailed(`sender answered ${reply.status}${problemDetail(reply)}, expected 201`);
  const location = String(reply.headers.location ?? '');
  const id = LOCATION.exec(location)?.[1];
  if (!id) throw new CheckFailed(`sender answered 201 with Location "${location}", expected /key-capsules/KC followed by 32 hex digits`);
  return { id, capsule };
}

async function fetchAndCompare(options: SmokeCheckOptions, id: string, sent: SentCapsule): Promise<void> {
  const reply = await pinnedRequest(endpoint(options.recipientUrl, id), options.pin, {
    method: 'GET',
    client: options.client,
    timeoutMs: options.timeoutMs,
  });
  if (reply.status !== 200) throw new CheckFailed(`recipient answered ${reply.status} for ${id}, expected 200`);
  let fetched: Record<string, unknown>;
  try {
    fetched = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CheckFailed(`recipient answered 200 for ${id} with a body that is not JSON`);
  }
  const differences = [
    sameBytes(fetched['recipient_id'], sent.recipientId) ? undefined : 'recipient_id',
    sameBytes(fetched['ephemeral_key_material'], sent.ephemeralKeyMaterial) ? undefined : 'ephemeral_key_material',
    fetched['capsule_type'] === options.clientKey.capsuleType ? undefined : 'capsule_type',
  ].filter((field): field is string => field !== undefined);
  if (differences.length > 0) throw new CheckFailed(`capsule ${id} came back different in ${differences.join(', ')}`);
}

function sameBytes(value: unknown, expected: Buffer): boolean {
  return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) && Buffer.from(value, 'base64').equals(expected);
}

function endpoint(base: URL, id?: string): URL {
  const path = `${base.pathname.replace(/\/+$/, '')}/key-capsules${id === undefined ? '' : `/${id}`}`;
  return new URL(path, base.origin);
}

function problemDetail(reply: PinnedReply): string {
  try {
    const problem = JSON.parse(reply.body.toString('utf8')) as { detail?: unknown; title?: unknown };
    const text = typeof problem.detail === 'string' ? problem.detail : problem.title;
    return typeof text === 'string' ? ` (${text.slice(0, 200)})` : '';
  } catch {
    return '';
  }
}
