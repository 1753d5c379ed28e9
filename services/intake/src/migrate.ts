// Applies intake's pending migrations: `npm run migrate` and the Helm migration Job run this.
import { runMigrationCommand } from '@prasar/persistence';
import { intakeDataSourceOptions } from './data-source';

void runMigrationCommand((url) => intakeDataSourceOptions(url));
