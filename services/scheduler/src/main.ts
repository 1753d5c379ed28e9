// Scheduler: publications, pacing, blackouts and the dispatch of due posts. Telemetry is loaded
// with `-r libs/telemetry/src/register.ts`.
import 'reflect-metadata';
import { bootstrapService } from '@prasar/service';
import { AppModule } from './app.module';
import { config } from './config';

void bootstrapService({ name: 'scheduler', module: AppModule, port: config.PORT, consumesEvents: true });
