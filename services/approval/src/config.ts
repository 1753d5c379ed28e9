import { loadConfigOrExit, serviceShape, z } from '@prasar/config';

export const config = loadConfigOrExit({
  ...serviceShape,
  PORT: serviceShape.PORT.default(4102),
  /** How often the SLA escalation poller looks for overdue stages. */
  APPROVAL_SLA_POLL_MS: z.coerce.number().int().min(100).default(30_000),
});
