import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsBase64, IsString } from 'class-validator';

/** The `Capsule` schema of the key-capsules API, as JSON on the wire. */
@ApiSchema({ name: 'Capsule' })
export class KeyCapsuleDto {
  @ApiProperty({ type: 'string', format: 'byte', minLength: 65, maxLength: 2100, description: 'Binary format is defined by capsule_type' })
  @IsString()
  @IsBase64()
  recipient_id!: string;

  @ApiProperty({ type: 'string', format: 'byte', maxLength: 2100, description: 'Binary format is defined by capsule_type' })
  @IsString()
  @IsBase64()
  ephemeral_key_material!: string;

  @ApiProperty({ type: 'string', enum: ['ecc_secp256r1', 'ecc_secp384r1', 'ecc_secp521r1', 'rsa'] })
  @IsString()
  capsule_type!: string;
}
