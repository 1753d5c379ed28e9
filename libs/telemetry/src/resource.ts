import { hostname } from 'node:os';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
  type Resource,
} from '@opentelemetry/resources';

/**
 * The resource every signal of this process carries: SDK defaults, then `OTEL_RESOURCE_ATTRIBUTES`,
 * then ours (ours win). Only synchronous detectors are used, so the resource is complete at once
 * (the Prometheus `target_info` series reads it on every scrape).
 */
export function buildResource(serviceName: string, environment: string): Resource {
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(
      resourceFromAttributes({
        'service.name': serviceName,
        'service.namespace': 'prasar',
        'service.instance.id': `${hostname()}:${process.pid}`,
        'deployment.environment': environment,
        // The attribute's current semantic-convention name, for backends that read only that one.
        'deployment.environment.name': environment,
      }),
    );
}
