// Intake: departments and content; consumes the approval service's decisions and the publisher's
// account and publication events. Telemetry is loaded with `-r libs/telemetry/src/register.ts`
// before this file, so Nest, pg and kafkajs are instrumented.
import 'reflect-metadata';
import { bootstrapService } from '@prasar/service';
import { AppModule } from './app.module';
import { config } from './config';

void bootstrapService({ name: 'intake', module: AppModule, port: config.PORT, consumesEvents: true });
