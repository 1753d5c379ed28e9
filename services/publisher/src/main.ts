// Publisher: social accounts and their sealed credentials, publishing each publication exactly once,
// WhatsApp broadcasts, and engagement. Telemetry is loaded with `-r libs/telemetry/src/register.ts`.
import 'reflect-metadata';
import { bootstrapService } from '@prasar/service';
import { AppModule } from './app.module';
import { config } from './config';

// rawBody: the WhatsApp webhook's signature is over the exact bytes Meta sent.
void bootstrapService({
  name: 'publisher',
  module: AppModule,
  port: config.PORT,
  consumesEvents: true,
  rawBody: true,
});
