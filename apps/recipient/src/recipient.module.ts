import { capsuleTypes } from '@ccs/capsule-types';
import { openDatabase } from '@ccs/persistence';
import { CapsuleServerModule, ServiceConfig } from '@ccs/platform';
import { DynamicModule, Module } from '@nestjs/common';
import { ClientCertificateGuard } from './client-certificate.guard';
import { clientTrustProvider } from './client-trust.provider';
import { KeyCapsulesController } from './key-capsules.controller';

@Module({})
export class RecipientModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: RecipientModule,
      imports: [CapsuleServerModule.forRoot({ config, capsuleTypes, openDatabase })],
      controllers: [KeyCapsulesController],
      providers: [ClientCertificateGuard, clientTrustProvider(config)],
    };
  }
}
