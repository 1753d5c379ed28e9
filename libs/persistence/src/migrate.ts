import type { DataSource } from 'typeorm';
import { loadConfigOrExit, vars } from '@prasar/config';
import { createLogger } from '@prasar/telemetry';
import { createServiceDataSource, type ServiceDataSourceOptions } from './data-source';

/** Applies every pending migration of a service's data source; returns the names applied. */
export async function migrate(ds: DataSource): Promise<string[]> {
  const wasInitialized = ds.isInitialized;
  if (!wasInitialized) await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    if (!wasInitialized) await ds.destroy();
  }
}

/** The body of a service's migration command: DATABASE_URL in, migrations applied, exit code out. */
export async function runMigrationCommand(options: (url: string) => ServiceDataSourceOptions): Promise<void> {
  const { DATABASE_URL } = loadConfigOrExit({ DATABASE_URL: vars.postgresUrl() });
  const ds = createServiceDataSource(options(DATABASE_URL));
  const logger = createLogger('migrate');
  try {
    const applied = await migrate(ds);
    logger.info({ database: ds.driver.database, applied }, `${applied.length} migration(s) applied`);
  } catch (err) {
    logger.error({ err }, 'migration failed');
    process.exitCode = 1;
  }
}
