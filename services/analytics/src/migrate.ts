// Applies analytics' pending migrations: `npm run migrate` and the Helm migration Job run this.
import { runMigrationCommand } from '@prasar/persistence';
import { analyticsDataSourceOptions } from './data-source';

void runMigrationCommand((url) => analyticsDataSourceOptions(url));
