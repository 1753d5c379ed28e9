import { DataSource, type EntityManager, type MixedList, type EntitySchema } from 'typeorm';

export interface ServiceDataSourceOptions {
  /** The service that owns the database, used for the connection's application_name. */
  service: string;
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
}

/** A PostgreSQL data source for one service: schema changes only through versioned migrations. */
export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'prasar_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // Failed queries surface as errors where they happen; TypeORM's own console logging stays off.
    logging: false,
    applicationName: `prasar-${options.service}`,
    extra: { max: options.poolSize ?? 10 },
  });
}

/** Runs work in one transaction. */
export function inTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(work);
}
