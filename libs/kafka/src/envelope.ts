import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { departmentIdOf, isTopic, topicOfEventType, type Topic } from '@prasar/contracts';

/**
 * What a consumer checks before it trusts a message, beyond its bytes parsing: the event type is
 * one its topic carries (a forged ContentApproved on the publish topic is not an approval), and
 * the department header names the department the payload is about (the header decides the tenant
 * of what the event touches). Returns why the envelope cannot be trusted, or undefined.
 *
 * `topicFor` maps a consumed topic to the contract topic it carries: a contract topic is itself;
 * a test's own topic (an alias) names the one it stands for; any other topic is not checked for
 * its type (there is no contract to check it against).
 */
export function envelopeProblem(
  topic: string,
  type: string,
  departmentHeader: string | undefined,
  decoded: { schema: DescMessage; message: MessageShape<DescMessage> },
  topicFor: (topic: string) => Topic | undefined = (t) => (isTopic(t) ? t : undefined),
): string | undefined {
  const carried = topicFor(topic);
  if (carried !== undefined && topicOfEventType(type) !== carried) {
    return `event type ${type} does not belong to topic ${topic} (it carries ${carried} events)`;
  }
  const payloadDepartment = departmentIdOf(decoded.schema, decoded.message);
  if ((payloadDepartment ?? '') !== (departmentHeader ?? '')) {
    return `department header ${departmentHeader ? `"${departmentHeader}"` : '(none)'} does not match the payload's department ${payloadDepartment ? `"${payloadDepartment}"` : '(none)'}`;
  }
  return undefined;
}

/**
 * Thrown by a handler when an event contradicts what the service knows (an account of another
 * department than the content's): the consumer parks it on the dead-letter topic at once, with
 * this message, and nothing of the transaction is kept. Retrying would not make it true.
 */
export class UntrustedEventError extends Error {
  override readonly name = 'UntrustedEventError';
}
