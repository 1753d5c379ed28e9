import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { createLogger } from '@prasar/telemetry';
import { ContentService } from './content.service';

/**
 * At start, brings every content whose status is behind its publications (stuck before the status
 * was derived from facts, or by any other means) to the status they call for, each step on the
 * audit trail. It runs after the service is up, so readiness never waits for it;
 * `npm run reconcile` runs the same repair as a command.
 */
@Injectable()
export class StatusReconciler implements OnApplicationBootstrap {
  private readonly logger = createLogger('status-reconciler');
  /** The run started at bootstrap (tests and the command await it). */
  done: Promise<unknown> = Promise.resolve();

  constructor(private readonly contents: ContentService) {}

  onApplicationBootstrap(): void {
    this.done = this.run().catch((err: unknown) =>
      this.logger.error({ err }, 'status reconciliation failed; it runs again at the next start'),
    );
  }

  async run() {
    const repaired = await this.contents.reconcileStatuses();
    for (const r of repaired)
      this.logger.info(r, `content status repaired from its publications: ${r.from} → ${r.to}`);
    if (repaired.length)
      this.logger.info(
        { repaired: repaired.length },
        `status reconciliation: ${repaired.length} content(s) repaired`,
      );
    return repaired;
  }
}
