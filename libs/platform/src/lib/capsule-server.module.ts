import { CapsuleTypeRegistry, KeyCapsuleRepository, KeyCapsuleService } from '@ccs/domain';
import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ServiceConfig } from './config';
import { ProblemDetailsFilter } from './problem-details.filter';
import { MeteredKeyCapsuleService } from './metered-key-capsule.service';
import { PurgeScheduler } from './purge.scheduler';
import { ServiceHealth } from './service-health';
import { PoolStatistics, ServiceMetrics } from './service-metrics';
import { DATABASE, SERVICE_CONFIG } from './tokens';

export interface Database {
  readonly repository: KeyCapsuleRepository;
  /** Rows per purge statement that suit this database, unless the configuration says otherwise. */
  readonly purgeBatchSize: number;
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

/** The node-postgres pool behind a TypeORM data source, when there is one. */
function poolOf(database: Database): PoolStatistics | undefined {
  const pool = (database as { dataSource?: { driver?: { master?: Partial<PoolStatistics> } } }).dataSource?.driver?.master;
  return typeof pool?.totalCount === 'number' ? (pool as PoolStatistics) : undefined;
}

/** What both services share: configuration, logging, problem+json errors, the database, the use cases, the purge. */
@Module({})
export class CapsuleServerModule {
  static forRoot({ config, openDatabase, capsuleTypes }: CapsuleServerOptions): DynamicModule {
    const metrics = new ServiceMetrics(config.service);
    return {
      module: CapsuleServerModule,
      global: true,
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: ServiceMetrics, useValue: metrics },
        {
          provide: DATABASE,
          useFactory: async () => {
            const database = await openDatabase(config.database.url, { migrate: config.database.migrateOnStart, poolSize: config.database.poolSize });
            metrics.observePool(() => poolOf(database));
            return database;
          },
        },
        {
          provide: KeyCapsuleService,
          inject: [DATABASE],
          useFactory: (database: Database) => new MeteredKeyCapsuleService(metrics, database.repository, capsuleTypes, config.expiryPolicy),
        },
        ServiceHealth,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        PurgeScheduler,
        DatabaseCloser,
      ],
      exports: [SERVICE_CONFIG, KeyCapsuleService, ServiceMetrics, ServiceHealth],
    };
  }
}
