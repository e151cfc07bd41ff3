import { EntitySchema } from 'typeorm';
import { Dialect } from './database-url';

/** A row of `key_capsule` as TypeORM hydrates it. */
export interface KeyCapsuleRecord {
  transactionId: string;
  capsuleType: string;
  recipientId: Buffer;
  ephemeralKeyMaterial: Buffer;
  createdAt: Date;
  expiresAt: Date;
  expiryAdjusted: boolean;
}

export const KEY_CAPSULE_ENTITY = 'KeyCapsule';
export const KEY_CAPSULE_TABLE = 'key_capsule';
export const KEY_CAPSULE_PRIMARY_KEY = 'PK_key_capsule';
export const EXPIRES_AT_INDEX = 'IDX_key_capsule_expires_at';

// TypeORM maps `Date` to `timestamp without time zone` on PostgreSQL and knows no `timestamptz` on
// SQLite, so the column types are chosen per dialect.
const COLUMN_TYPES = {
  postgres: { binary: 'bytea', instant: 'timestamptz', now: 'now()' },
  sqlite: { binary: 'blob', instant: 'datetime', now: "strftime('%Y-%m-%d %H:%M:%f', 'now')" },
} as const;

export function keyCapsuleEntity(dialect: Dialect): EntitySchema<KeyCapsuleRecord> {
  const types = COLUMN_TYPES[dialect];
  return new EntitySchema<KeyCapsuleRecord>({
    name: KEY_CAPSULE_ENTITY,
    tableName: KEY_CAPSULE_TABLE,
    columns: {
      transactionId: {
        name: 'transaction_id',
        type: 'varchar',
        length: 34,
        primary: true,
        primaryKeyConstraintName: KEY_CAPSULE_PRIMARY_KEY,
      },
      capsuleType: { name: 'capsule_type', type: 'varchar', length: 64 },
      recipientId: { name: 'recipient_id', type: types.binary },
      ephemeralKeyMaterial: { name: 'ephemeral_key_material', type: types.binary },
      createdAt: { name: 'created_at', type: types.instant, default: () => types.now },
      expiresAt: { name: 'expires_at', type: types.instant },
      expiryAdjusted: { name: 'expiry_adjusted', type: 'boolean' },
    },
    indices: [{ name: EXPIRES_AT_INDEX, columns: ['expiresAt'] }],
  });
}
