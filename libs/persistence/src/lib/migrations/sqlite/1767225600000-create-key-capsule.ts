import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateKeyCapsuleSqlite implements MigrationInterface {
  readonly name = 'CreateKeyCapsule1767225600000';

  // Instants are UTC text 'YYYY-MM-DD HH:MM:SS.SSS', the form TypeORM writes for `datetime`, so that
  // they compare correctly as strings; the default produces the same form.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "key_capsule" (
        "transaction_id" varchar(34) NOT NULL,
        "capsule_type" varchar(64) NOT NULL,
        "recipient_id" blob NOT NULL,
        "ephemeral_key_material" blob NOT NULL,
        "created_at" datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
        "expires_at" datetime NOT NULL,
        "expiry_adjusted" boolean NOT NULL,
        CONSTRAINT "PK_key_capsule" PRIMARY KEY ("transaction_id")
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_key_capsule_expires_at" ON "key_capsule" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_key_capsule_expires_at"`);
    await queryRunner.query(`DROP TABLE "key_capsule"`);
  }
}
