import { Global, Module, type DynamicModule, type OnApplicationShutdown, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServiceDataSource, type ServiceDataSourceOptions } from './data-source';

@Injectable()
class DataSourceLifecycle implements OnApplicationShutdown {
  constructor(private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** Provides the service's initialized TypeORM DataSource to every provider. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: ServiceDataSourceOptions): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => createServiceDataSource(options).initialize(),
        },
        DataSourceLifecycle,
      ],
      exports: [DataSource],
    };
  }
}
