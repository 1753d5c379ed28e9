// Applies approval's pending migrations: `npm run migrate` and the Helm migration Job run this.
import { runMigrationCommand } from '@prasar/persistence';
import { approvalDataSourceOptions } from './data-source';

void runMigrationCommand((url) => approvalDataSourceOptions(url));
