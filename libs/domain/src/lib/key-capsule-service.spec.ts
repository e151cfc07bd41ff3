import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { CapsuleError } from './capsule-error';
import { CapsuleType, CapsuleTypeRegistry } from './capsule-type';
import { ExpiryPolicy } from './expiry-policy';
import { KeyCapsule, StoredKeyCapsule } from './key-capsule';
import { KeyCapsuleRepository } from './key-capsule-repository';
import { KeyCapsuleService } from './key-capsule-service';

// The port's contract in memory; the real repositories are tested against real databases.
class MemoryRepository implements KeyCapsuleRepository {
  readonly rows = new Map<string, StoredKeyCapsule>();
  takenIds: string[] = [];

  async insert(capsule: StoredKeyCapsule) {
    if (this.takenIds.length > 0) {
      this.takenIds.shift();
      return false;
    }
    if (this.rows.has(capsule.transactionId)) return false;
    this.rows.set(capsule.transactionId, capsule);
    return true;
  }
  async findUnexpired(id: string, now: Date) {
    const row = this.rows.get(id);
    return row && row.expiresAt > now ? row : undefined;
  }
  async deleteExpired(now: Date, batchSize: number) {
    const expired = [...this.rows.values()].filter((r) => r.expiresAt <= now).slice(0, batchSize);
    expired.forEach((r) => this.rows.delete(r.transactionId));
    return expired.length;
  }
}

const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
const bySpki: CapsuleType = { name: 'spki', validate: () => undefined, recipientIdOf: spki };

describe('KeyCapsuleService', () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const alice = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const bob = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const capsule: KeyCapsule = { capsuleType: 'spki', recipientId: spki(alice), ephemeralKeyMaterial: Buffer.from('kek') };
  let repository: MemoryRepository;
  let service: KeyCapsuleService;

  beforeEach(() => {
    repository = new MemoryRepository();
    service = new KeyCapsuleService(repository, new CapsuleTypeRegistry([bySpki]), new ExpiryPolicy({ days: 1 }, { days: 2 }), () => now);
  });

  it('stores a capsule and gives it only to its recipient until it expires', async () => {
    const stored = await service.store(capsule);
    expect(stored.expiresAt).toEqual(new Date('2026-01-02T00:00:00Z'));
    expect(await service.fetchFor(stored.transactionId, alice)).toEqual(stored);
    expect(await service.fetchFor(stored.transactionId, bob)).toBeUndefined();
    expect(await service.fetchFor('KC00000000000000000000000000000000', alice)).toBeUndefined();
    now = new Date('2026-01-02T00:00:00Z');
    expect(await service.fetchFor(stored.transactionId, alice)).toBeUndefined();
    now = new Date('2026-01-01T00:00:00Z');
  });

  it('draws a new id when the first is taken, and gives up after three', async () => {
    repository.takenIds = ['x', 'y'];
    await expect(service.store(capsule)).resolves.toMatchObject({ transactionId: expect.stringMatching(/^KC/) });
    repository.takenIds = ['x', 'y', 'z'];
    await expect(service.store(capsule)).rejects.toMatchObject({ code: 'transaction_id_exhausted' });
    expect(repository.rows.size).toBe(1);
  });

  it('refuses invalid capsules before storing anything', async () => {
    await expect(service.store({ ...capsule, capsuleType: 'nope' })).rejects.toBeInstanceOf(CapsuleError);
    await expect(service.store(capsule, 'yesterday')).rejects.toMatchObject({ code: 'invalid_expiry_time' });
    expect(repository.rows.size).toBe(0);
  });

  it('purges in batches until nothing expired is left', async () => {
    for (let i = 0; i < 25; i++) await service.store(capsule, '2026-01-01T00:00:01Z');
    const live = await service.store(capsule);
    now = new Date('2026-01-01T00:00:01Z');
    expect(await service.purgeExpired(10)).toBe(25);
    expect([...repository.rows.keys()]).toEqual([live.transactionId]);
    now = new Date('2026-01-01T00:00:00Z');
  });

  it('stops after the batch in progress when told to, leaving the rest for the next purge', async () => {
    for (let i = 0; i < 25; i++) await service.store(capsule, '2026-01-01T00:00:01Z');
    now = new Date('2026-01-01T00:00:01Z');
    const stop = new AbortController();
    const purge = service.purgeExpired(10, stop.signal);
    stop.abort();
    expect(await purge).toBe(10);
    expect(repository.rows.size).toBe(15);
    expect(await service.purgeExpired(10)).toBe(15);
    now = new Date('2026-01-01T00:00:00Z');
  });

  it('lets other work run between batches, even over a repository that answers at once', async () => {
    for (let i = 0; i < 25; i++) await service.store(capsule, '2026-01-01T00:00:01Z');
    now = new Date('2026-01-01T00:00:01Z');
    const order: string[] = [];
    const purge = service.purgeExpired(10).then(() => order.push('purge done'));
    setImmediate(() => order.push('a request'));
    await purge;
    expect(order).toEqual(['a request', 'purge done']);
    now = new Date('2026-01-01T00:00:00Z');
  });
});
