import { Module } from '@nestjs/common';
import { directoryFrom, verifierOptionsFrom } from '@prasar/auth';
import { TelemetryModule } from '@prasar/telemetry';
import { config } from './config';
import { INTAKE_CONSUMER, IntakeModule } from './intake.module';

@Module({
  imports: [
    TelemetryModule.forRoot({ serviceName: 'intake' }),
    IntakeModule.forRoot({
      databaseUrl: config.DATABASE_URL,
      brokers: config.KAFKA_BROKERS,
      auth: verifierOptionsFrom(config),
      directory: directoryFrom(config),
      consume: INTAKE_CONSUMER,
    }),
  ],
})
export class AppModule {}
