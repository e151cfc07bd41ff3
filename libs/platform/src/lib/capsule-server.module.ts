import { CapsuleTypeRegistry, KeyCapsuleRepository, KeyCapsuleService } from '@ccs/domain';
import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ServiceConfig } from './config';
import { loggerParams } from './logging';
import { ProblemDetailsFilter } from './problem-details.filter';
import { PurgeScheduler } from './purge.scheduler';
import { DATABASE, SERVICE_CONFIG } from './tokens';

export interface Database {
  readonly repository: KeyCapsuleRepository;
  close(): Promise<void>;
}

export interface CapsuleServerOptions {
  readonly config: ServiceConfig;
  /** Opens (and, if configured, migrates) the database; supplied by the app so that this library stays storage-agnostic. */
  readonly openDatabase: (url: string, options: { migrate: boolean; poolSize: number }) => Promise<Database>;
  readonly capsuleTypes: CapsuleTypeRegistry;
}

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/** What both services share: configuration, logging, problem+json errors, the database, the use cases, the purge. */
@Module({})
export class CapsuleServerModule {
  static forRoot({ config, openDatabase, capsuleTypes }: CapsuleServerOptions): DynamicModule {
    return {
      module: CapsuleServerModule,
      global: true,
      imports: [LoggerModule.forRoot(loggerParams(config))],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        {
          provide: DATABASE,
          useFactory: () => openDatabase(config.database.url, { migrate: config.database.migrateOnStart, poolSize: config.database.poolSize }),
        },
        {
          provide: KeyCapsuleService,
          inject: [DATABASE],
          useFactory: (database: Database) => new KeyCapsuleService(database.repository, capsuleTypes, config.expiryPolicy),
        },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        PurgeScheduler,
        DatabaseCloser,
      ],
      exports: [SERVICE_CONFIG, KeyCapsuleService],
    };
  }
}
