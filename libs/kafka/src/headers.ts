import type { IHeaders } from 'kafkajs';

/** Header names of the CloudEvents Kafka protocol binding (binary mode) plus Prasar's own. */
export const HEADER = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  specVersion: 'ce_specversion',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  departmentId: 'prasar_department_id',
  // Set on messages parked on a dead-letter topic.
  dlqError: 'prasar_dlq_error',
  dlqAttempts: 'prasar_dlq_attempts',
  dlqTopic: 'prasar_dlq_original_topic',
  dlqPartition: 'prasar_dlq_original_partition',
  dlqOffset: 'prasar_dlq_original_offset',
  dlqGroup: 'prasar_dlq_consumer_group',
  dlqAt: 'prasar_dlq_at',
} as const;

export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';

/** Kafka headers as plain strings (the first value of each). */
export function readHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}
