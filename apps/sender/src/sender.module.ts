import { capsuleTypes } from '@ccs/capsule-types';
import { openDatabase } from '@ccs/persistence';
import { CapsuleServerModule, jsonBody, SERVICE_CONFIG, ServiceConfig } from '@ccs/platform';
import { DynamicModule, Inject, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { KeyCapsulesController } from './key-capsules.controller';

@Module({})
export class SenderModule implements NestModule {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: ServiceConfig) {}

  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: SenderModule,
      imports: [CapsuleServerModule.forRoot({ config, capsuleTypes, openDatabase })],
      controllers: [KeyCapsulesController],
    };
  }

  /** Only the sender takes request bodies, and only its routes pay for parsing them. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(jsonBody(this.config.bodyLimitBytes)).forRoutes(KeyCapsulesController);
  }
}
