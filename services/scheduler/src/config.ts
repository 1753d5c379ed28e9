import { loadConfigOrExit, serviceShape, z } from '@prasar/config';

export const config = loadConfigOrExit({
  ...serviceShape,
  PORT: serviceShape.PORT.default(4103),
  /** How often due publications are claimed and dispatched. */
  SCHEDULER_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(250),
});
