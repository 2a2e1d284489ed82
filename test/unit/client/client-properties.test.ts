import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSasl, clientProperties, createClient, UnsupportedSecurityError } from '../../../src/client/index.js';
import { parseBootstrapServers } from '../../../src/client/cluster.js';

test("Kafka's client property names map onto the client's options, per role", () => {
  const p = clientProperties(
    { 'bootstrap.servers': 'h:1', 'client.id': 'c', 'request.timeout.ms': '900', acks: 'all', 'compression.type': 'lz4', 'enable.idempotence': 'false', 'linger.ms': '7', 'batch.size': '100' },
    'producer',
  );
  assert.deepEqual(p.client, { bootstrapServers: 'h:1', clientId: 'c', requestTimeoutMs: 900 });
  assert.deepEqual(p.producer, { acks: -1, compression: 'lz4', idempotent: false });
  assert.equal(p.lingerMs, 7);
  assert.equal(p.batchBytes, 100);
  assert.deepEqual(p.unsupported, []);

  const c = clientProperties(
    new Map([
      ['group.id', 'g'], ['auto.offset.reset', 'Earliest'], ['isolation.level', 'read_committed'], ['fetch.min.bytes', '1'],
      ['fetch.max.wait.ms', '100'], ['max.partition.fetch.bytes', '4096'], ['enable.auto.commit', 'false'],
      ['partition.assignment.strategy', 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor'],
      ['key.deserializer', 'org.apache.kafka.common.serialization.StringDeserializer'],
    ]),
    'consumer',
  );
  assert.deepEqual(c.consumer, {
    groupId: 'g', autoOffsetReset: 'earliest', isolationLevel: 'read_committed', minBytes: 1, maxWaitMs: 100, partitionMaxBytes: 4096,
    autoCommit: false, partitionAssignors: ['cooperative-sticky'],
  });
  assert.deepEqual(c.unsupported, [], 'a String deserializer is what the client does anyway');
});

test('keys a role does not honour are named back, not silently applied', () => {
  assert.deepEqual(clientProperties({ 'group.id': 'g', 'max.block.ms': '1', 'no.such.key': 'x' }, 'producer').unsupported, ['group.id', 'max.block.ms', 'no.such.key']);
  assert.deepEqual(clientProperties({ acks: '1' }, 'admin').unsupported, ['acks']);
  assert.deepEqual(clientProperties({ 'value.deserializer': 'io.confluent.kafka.serializers.KafkaAvroDeserializer' }, 'consumer').unsupported, ['value.deserializer']);
});

test('values Kafka would reject are refused with a sentence', () => {
  assert.throws(() => clientProperties({ acks: '2' }, 'producer'), /acks must be all, -1, 1 or 0, not '2'/);
  assert.throws(() => clientProperties({ 'linger.ms': 'soon' }, 'producer'), /linger.ms must be a whole number of at least 0, not 'soon'/);
  assert.throws(() => clientProperties({ 'enable.idempotence': 'yes' }, 'producer'), /enable.idempotence must be true or false/);
  assert.throws(() => clientProperties({ 'auto.offset.reset': 'beginning' }, 'consumer'), /auto.offset.reset must be one of earliest, latest, none/);
  assert.throws(() => clientProperties({ 'compression.type': 'brotli' }, 'producer'), /compression.type must be one of none, gzip, snappy, lz4, zstd/);
});

test('SASL mechanisms other than PLAIN, SCRAM and OAUTHBEARER are refused in every role; PLAIN, SCRAM and SSL read their keys; PLAINTEXT in any case is accepted', () => {
  const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr=t";';
  for (const role of ['admin', 'producer', 'consumer'] as const) {
    assert.throws(() => clientProperties({ 'security.protocol': 'SASL_PLAINTEXT' }, role), /sasl.mechanism=GSSAPI: this SASL mechanism is not supported yet/);
    assert.throws(() => clientProperties({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'GSSAPI' }, role), UnsupportedSecurityError);
    assert.throws(() => clientProperties({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-256', 'sasl.jaas.config': jaas }, role), /SASL\/SCRAM-SHA-256 takes org.apache.kafka.common.security.scram.ScramLoginModule/);
    assert.throws(() => clientProperties({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' }, role), /needs sasl.jaas.config/);
    assert.deepEqual(clientProperties({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': jaas }, role).client.sasl, { mechanism: 'PLAIN', username: 'alice', password: 's3cr=t' });
    assert.deepEqual(clientProperties({ 'security.protocol': ' plaintext ' }, role).unsupported, []);
    assert.deepEqual(clientProperties({ 'security.protocol': 'SSL' }, role).client.tls, {}, 'SSL with the default CAs');
    assert.deepEqual(clientProperties({ 'ssl.truststore.location': '/x' }, role).unsupported, ['ssl.truststore.location'], 'ssl.* without SSL is not used');
    assert.throws(() => clientProperties({ 'security.protocol': 'SSL', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': '/nonexistent/ca.pem' }, role), /ssl.truststore.location: cannot read \/nonexistent\/ca.pem/);
    assert.throws(() => clientProperties({ 'security.protocol': 'SSL', 'ssl.truststore.location': '/x' }, role), /Samsa's client reads PEM truststores/);
    assert.throws(() => clientProperties({ 'security.protocol': 'SSL', 'ssl.endpoint.identification.algorithm': 'ldap' }, role), /must be https or empty/);
    assert.throws(() => clientProperties({ 'security.protocol': 'TLS' }, role), /security.protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL/);
  }
  assert.doesNotThrow(() => assertNoSasl([['client.id', 'x'], ['security.protocol', 'SSL']]));
  assert.throws(() => assertNoSasl([['security.protocol', 'SASL_SSL'], ['sasl.mechanism', 'GSSAPI']]), /security.protocol=SASL_SSL, sasl.mechanism=GSSAPI: /);
  assert.doesNotThrow(() => assertNoSasl([['security.protocol', 'SASL_SSL'], ['sasl.mechanism', 'OAUTHBEARER']]));
});

test('a bootstrap server written with a security protocol is refused by the client itself; listener names pass', () => {
  assert.throws(() => parseBootstrapServers('SSL://h:9093'), /bootstrap server SSL:\/\/h:9093: give it as host:port and set security.protocol=SSL/);
  assert.throws(() => parseBootstrapServers(['h:1', 'sasl_ssl://h:2']), /give it as host:port and set security.protocol=SASL_SSL/);
  assert.deepEqual(parseBootstrapServers('PLAINTEXT://h:1,EXTERNAL://h:2'), [{ host: 'h', port: 1 }, { host: 'h', port: 2 }]);
  assert.throws(() => createClient({ bootstrapServers: 'SASL_PLAINTEXT://127.0.0.1:1' }).admin(), /set security.protocol=SASL_PLAINTEXT/);
});
