// Approval: workflows, stages and decisions. Telemetry is loaded with `-r libs/telemetry/src/register.ts`.
import 'reflect-metadata';
import { bootstrapService } from '@prasar/service';
import { AppModule } from './app.module';
import { config } from './config';

void bootstrapService({ name: 'approval', module: AppModule, port: config.PORT, consumesEvents: true });
