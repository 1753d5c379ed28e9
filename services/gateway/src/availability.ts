// Which subgraphs are reachable, as the gateway's calls find them: an outage is logged once when it
// starts and once when it ends, however many requests it refuses (each gets UNAVAILABLE, errors.ts).
import type { GatewayLog } from './runtime';

interface Outage {
  since: number;
  refused: number;
}

export class SubgraphAvailability {
  private readonly outages = new Map<string, Outage>();

  constructor(
    private readonly log: Pick<GatewayLog, 'warn' | 'info'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A call to the subgraph failed as an outage (refused, reset, timed out, 502-504). */
  failed(subgraph: string, reason: string): void {
    const outage = this.outages.get(subgraph);
    if (outage) {
      outage.refused++;
      return;
    }
    this.outages.set(subgraph, { since: this.now(), refused: 1 });
    this.log.warn(
      { subgraph, reason },
      `subgraph ${subgraph} is unavailable; its calls answer UNAVAILABLE until it is back`,
    );
  }

  /** A call to the subgraph got an answer. */
  answered(subgraph: string): void {
    const outage = this.outages.get(subgraph);
    if (!outage) return;
    this.outages.delete(subgraph);
    this.log.info(
      { subgraph, downForMs: this.now() - outage.since, refusedCalls: outage.refused },
      `subgraph ${subgraph} is available again`,
    );
  }

  /** The subgraphs currently seen as down. */
  down(): string[] {
    return [...this.outages.keys()];
  }
}
