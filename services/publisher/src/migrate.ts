// Applies the publisher's pending migrations: `npm run migrate` and the Helm migration Job run this.
import { runMigrationCommand } from '@prasar/persistence';
import { publisherDataSourceOptions } from './data-source';

void runMigrationCommand((url) => publisherDataSourceOptions(url));
