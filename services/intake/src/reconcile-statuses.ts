// Repairs content statuses that are behind their publications (`npm run reconcile`; intake also
// runs it at every start). Each repair is a lifecycle step on the hash-chained audit trail, with its
// ContentStatusChanged in the outbox, which the running intake's relay publishes: the command needs
// only DATABASE_URL.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, vars } from '@prasar/config';
import { EventPublisher } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { createLogger } from '@prasar/telemetry';
import { AccountsService } from './accounts/accounts.service';
import { AuditTrail } from './audit/audit.service';
import { ComplianceService } from './compliance/compliance.service';
import { ContentService } from './content/content.service';
import { StatusReconciler } from './content/status-reconciler';
import { intakeDataSourceOptions } from './data-source';

async function main(): Promise<void> {
  const { DATABASE_URL } = loadConfigOrExit({ DATABASE_URL: vars.postgresUrl() });
  const logger = createLogger('reconcile');

  @Module({
    imports: [PersistenceModule.forRoot(intakeDataSourceOptions(DATABASE_URL))],
    providers: [
      { provide: EventPublisher, useValue: new EventPublisher({ service: 'intake', brokers: [] }) },
      AuditTrail,
      AccountsService,
      ComplianceService,
      ContentService,
      StatusReconciler,
    ],
  })
  class ReconcileModule {}

  const app = await NestFactory.createApplicationContext(ReconcileModule, { logger: false });
  try {
    const reconciler = app.get(StatusReconciler);
    await reconciler.done; // the run Nest started at bootstrap is this command's run
    const left = await reconciler.run(); // and a second finds nothing: the repairs held
    logger.info({ left: left.length }, 'reconciliation finished');
    if (left.length) process.exitCode = 1;
  } catch (err) {
    logger.error({ err }, 'reconciliation failed');
    process.exitCode = 1;
  } finally {
    await app.close();
  }
}

void main();
