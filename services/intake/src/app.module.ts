import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { verifierOptionsFrom } from '@prasar/auth';
import { EventingModule } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { TelemetryModule } from '@prasar/telemetry';
import { AuditTrail } from './audit/audit.service';
import { config } from './config';
import { ContentResolver } from './content/content.resolver';
import { ContentService } from './content/content.service';
import { intakeDataSourceOptions } from './data-source';
import { DepartmentResolver, ViewerResolver } from './department/department.resolver';
import { DepartmentService } from './department/department.service';

@Module({
  imports: [
    TelemetryModule.forRoot({ serviceName: 'intake' }),
    PersistenceModule.forRoot(intakeDataSourceOptions(config.DATABASE_URL)),
    EventingModule.forRoot({ service: 'intake', brokers: config.KAFKA_BROKERS }),
    subgraphModule({
      schemaPath: join(__dirname, 'schema.graphql'),
      auth: verifierOptionsFrom(config),
    }),
  ],
  providers: [
    AuditTrail,
    DepartmentService,
    DepartmentResolver,
    ViewerResolver,
    ContentService,
    ContentResolver,
  ],
})
export class AppModule {}
