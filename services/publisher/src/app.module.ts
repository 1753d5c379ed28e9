import { Module } from '@nestjs/common';
import { TelemetryModule } from '@prasar/telemetry';
import { config } from './config';
import { PublisherModule } from './publisher.module';

@Module({
  imports: [TelemetryModule.forRoot({ serviceName: 'publisher' }), PublisherModule.forRoot({ config })],
})
export class AppModule {}
