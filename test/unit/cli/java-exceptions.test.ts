// Error codes named as the Java exceptions Kafka's tools print, regular names and Kafka's exceptions to the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { javaExceptionName } from '../../../src/cli/java-exceptions.js';

test('javaExceptionName: PascalCase plus Exception, except where Kafka names the class otherwise', () => {
  const named = (code: number): string => javaExceptionName(code).replace('org.apache.kafka.common.errors.', '');
  assert.equal(javaExceptionName(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE), 'org.apache.kafka.common.errors.PreferredLeaderNotAvailableException');
  assert.equal(named(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE), 'EligibleLeadersNotAvailableException');
  assert.equal(named(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), 'UnknownTopicOrPartitionException');
  assert.equal(named(ErrorCode.KAFKA_STORAGE_ERROR), 'KafkaStorageException');
  assert.equal(named(ErrorCode.REQUEST_TIMED_OUT), 'TimeoutException');
  assert.equal(named(ErrorCode.CLUSTER_AUTHORIZATION_FAILED), 'ClusterAuthorizationException');
  assert.equal(named(ErrorCode.INVALID_TOPIC_EXCEPTION), 'InvalidTopicException');
  assert.equal(named(ErrorCode.NON_EMPTY_GROUP), 'GroupNotEmptyException');
});
