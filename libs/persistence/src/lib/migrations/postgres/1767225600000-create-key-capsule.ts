import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateKeyCapsulePostgres implements MigrationInterface {
  readonly name = 'CreateKeyCapsule1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "key_capsule" (
        "transaction_id" character varying(34) NOT NULL,
        "capsule_type" character varying(64) NOT NULL,
        "recipient_id" bytea NOT NULL,
        "ephemeral_key_material" bytea NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
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
