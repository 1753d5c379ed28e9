import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '@prasar/service';
import { createLogger } from '@prasar/telemetry';
import { AccountsService } from './accounts.service';

const logger = createLogger('credential-resealer');

export const RESEALER_OPTIONS = Symbol('RESEALER_OPTIONS');

export interface ResealerOptions {
  intervalMs: number;
  autoStart: boolean;
}

/**
 * Key rotation's second half: after a new key is put first in PUBLISHER_CREDENTIALS_KEYS, every
 * credential sealed under an older key is sealed again under it (at start, then every interval),
 * so the old key can be removed once the log says none is left.
 */
@Injectable()
export class CredentialResealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PeriodicTask;

  constructor(
    private readonly accounts: AccountsService,
    @Inject(RESEALER_OPTIONS) private readonly options: ResealerOptions,
  ) {
    this.loop = new PeriodicTask('reseal credentials', options.intervalMs, () => this.runOnce(), logger);
  }

  onApplicationBootstrap(): void {
    if (this.options.autoStart) this.loop.start({ immediate: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Re-seals every stale credential (in batches); returns how many were re-sealed. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const { resealed, unopenable } = await this.accounts.resealStale(100);
      total += resealed;
      if (unopenable.length) {
        logger.error(
          { accounts: unopenable },
          'credentials sealed under a key no longer configured: put the key back in the ring to re-seal them',
        );
      }
      if (resealed === 0) break;
    }
    if (total) logger.info({ resealed: total }, 'credentials re-sealed under the current key');
    return total;
  }
}
