import { createCounter, createDurationHistogram } from '@prasar/telemetry';

// Labels are closed sets: a platform (X, FACEBOOK, INSTAGRAM, WHATSAPP) and an outcome. Never an
// account, department or publication id.

export type PublishOutcomeLabel = 'published' | 'failed' | 'retried' | 'reconciled' | 'held';

/** How each publication attempt ended; the ops dashboards and the failure-rate alert read this name. */
export const publishOutcomes = createCounter<{ platform: string; outcome: PublishOutcomeLabel }>(
  'prasar_publish_outcomes',
  'Publication attempts by platform and outcome: published, failed (for good), retried, reconciled (found after an uncertain call), held (account needs reauth)',
);

/** One attempt from claim to recorded outcome, platform calls included. */
export const attemptDuration = createDurationHistogram<{ platform: string; outcome: string }>(
  'prasar_publish_attempt_duration',
  'Time one publication attempt took, platform calls included',
);

/** WhatsApp messages by what became of them when sent. */
export const whatsappMessages = createCounter<{ outcome: string }>(
  'prasar_whatsapp_messages',
  'WhatsApp broadcast messages by outcome: sent, failed, opted_out, not_sent, uncertain',
);
