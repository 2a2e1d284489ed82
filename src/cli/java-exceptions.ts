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
  ['CORRUPT_MESSAGE', 'CorruptRecordException'],
  ['REQUEST_TIMED_OUT', 'TimeoutException'],
  ['MESSAGE_TOO_LARGE', 'RecordTooLargeException'],
  ['STALE_CONTROLLER_EPOCH', 'ControllerMovedException'],
  ['OFFSET_METADATA_TOO_LARGE', 'OffsetMetadataTooLarge'],
  ['NETWORK_EXCEPTION', 'NetworkException'],
  ['INVALID_TOPIC_EXCEPTION', 'InvalidTopicException'],
  ['RECORD_LIST_TOO_LARGE', 'RecordBatchTooLargeException'],
  ['TOPIC_AUTHORIZATION_FAILED', 'TopicAuthorizationException'],
  ['GROUP_AUTHORIZATION_FAILED', 'GroupAuthorizationException'],
  ['CLUSTER_AUTHORIZATION_FAILED', 'ClusterAuthorizationException'],
  ['TOPIC_ALREADY_EXISTS', 'TopicExistsException'],
  ['INVALID_CONFIG', 'InvalidConfigurationException'],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'OutOfOrderSequenceException'],
  ['DUPLICATE_SEQUENCE_NUMBER', 'DuplicateSequenceException'],
  ['INVALID_PRODUCER_ID_MAPPING', 'InvalidPidMappingException'],
  ['INVALID_TRANSACTION_TIMEOUT', 'InvalidTxnTimeoutException'],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'TransactionalIdAuthorizationException'],
  ['KAFKA_STORAGE_ERROR', 'KafkaStorageException'],
  ['SASL_AUTHENTICATION_FAILED', 'SaslAuthenticationException'],
  ['DELEGATION_TOKEN_AUTH_DISABLED', 'DelegationTokenDisabledException'],
  ['DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', 'UnsupportedByAuthenticationException'],
  ['DELEGATION_TOKEN_AUTHORIZATION_FAILED', 'DelegationTokenAuthorizationException'],
  ['NON_EMPTY_GROUP', 'GroupNotEmptyException'],
  ['PRINCIPAL_DESERIALIZATION_FAILURE', 'PrincipalDeserializationException'],
  ['FETCH_SESSION_TOPIC_ID_ERROR', 'FetchSessionTopicIdException'],
]);

/** The fully qualified name of the Java exception Kafka's clients raise for an error code. */
export function javaExceptionName(code: number): string {
  const name = errorName(code);
  const simple = IRREGULAR.get(name) ?? `${name.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())}Exception`;
  return `${PACKAGE}.${simple}`;
}
