/**
 * Kafka's tools print a broker's error as its Java exception (`org.apache.kafka.common.errors.
 * PreferredLeaderNotAvailableException: …`), and scripts match on those names, so the tools that
 * copy such lines name errors the same way.
 */
import { errorName } from '../protocol/errors.js';

const PACKAGE = 'org.apache.kafka.common.errors';

/** The codes whose exception is not their name in PascalCase plus "Exception" (Kafka's Errors table). */
const IRREGULAR = new Map<string, string>([
  ['UNKNOWN_SERVER_ERROR', 'UnknownServerException'],
  ['REQUEST_TIMED_OUT', 'TimeoutException'],
  ['NETWORK_EXCEPTION', 'NetworkException'],
  ['INVALID_TOPIC_EXCEPTION', 'InvalidTopicException'],
  ['TOPIC_AUTHORIZATION_FAILED', 'TopicAuthorizationException'],
  ['CLUSTER_AUTHORIZATION_FAILED', 'ClusterAuthorizationException'],
  ['STALE_CONTROLLER_EPOCH', 'ControllerMovedException'],
  ['KAFKA_STORAGE_ERROR', 'KafkaStorageException'],
]);

/** The fully qualified name of the Java exception Kafka's clients raise for an error code. */
export function javaExceptionName(code: number): string {
  const name = errorName(code);
  const simple = IRREGULAR.get(name) ?? `${name.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())}Exception`;
  return `${PACKAGE}.${simple}`;
}
