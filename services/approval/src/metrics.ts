import { createCounter, createDurationHistogram, TURNAROUND_BUCKETS_SECONDS } from '@prasar/telemetry';

// Labels are closed sets: a stage role, a priority, an outcome. Never a department or content id.

/** Current stages that passed their due time (each escalated once). */
export const slaBreaches = createCounter<{ role: string; priority: string }>(
  'prasar_approval_sla_breaches',
  'Approval stages escalated because they passed their due time',
);

/** From a submission's approval opening to its final decision. */
export const approvalTurnaround = createDurationHistogram<{ outcome: string; priority: string }>(
  'prasar_approval_turnaround',
  'Time from submission to the final approval decision',
  TURNAROUND_BUCKETS_SECONDS,
);

/**
 * Seconds from an approval's opening to its final decision, never negative: both times are this
 * service's clock, and a decision taken (its time read) while the submission was still being
 * opened in another transaction counts as immediate, not as before the submission.
 */
export function turnaroundSeconds(openedAt: Date, decidedAt: Date): number {
  return Math.max(0, (decidedAt.getTime() - openedAt.getTime()) / 1000);
}
