// Analytics: read models over every area's events, scorecards, the state overview and records
// exports. Telemetry is loaded with `-r libs/telemetry/src/register.ts`.
import 'reflect-metadata';
import { bootstrapService } from '@prasar/service';
import { AppModule } from './app.module';
import { config } from './config';

void bootstrapService({ name: 'analytics', module: AppModule, port: config.PORT, consumesEvents: true });
