import { capsuleTypes } from '@ccs/capsule-types';
import { openDatabase } from '@ccs/persistence';
import { CapsuleServerModule, ServiceConfig } from '@ccs/platform';
import { DynamicModule, Module } from '@nestjs/common';
import { KeyCapsulesController } from './key-capsules.controller';

@Module({})
export class SenderModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: SenderModule,
      imports: [CapsuleServerModule.forRoot({ config, capsuleTypes, openDatabase })],
      controllers: [KeyCapsulesController],
    };
  }
}
