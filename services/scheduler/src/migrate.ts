// Applies scheduler's pending migrations: `npm run migrate` and the Helm migration Job run this.
import { runMigrationCommand } from '@prasar/persistence';
import { schedulerDataSourceOptions } from './data-source';

void runMigrationCommand((url) => schedulerDataSourceOptions(url));
