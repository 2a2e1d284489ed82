/**
 * SASL between brokers: how a broker finds its own login (sasl.mechanism.inter.broker.protocol,
 * the listener's JAAS line), the sentences of a configuration it cannot use, and how a peer's
 * failures are logged (once per interval) and backed off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interBrokerSasl } from '../../../src/broker/sasl.js';
import { ConfigError } from '../../../src/cluster/config.js';
import { PEER_FAILURE_REPORT_INTERVAL_MS, PEER_LOGIN_BACKOFF_MAX_MS, PeerAuthenticationError, PeerConnectionError, PeerFailures } from '../../../src/cluster/peer-connection.js';
import { createLogger } from '../../../src/util/logger.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule';

test('the broker logs in as the username and password of listener.name.<l>.<mechanism>.sasl.jaas.config, else of sasl.jaas.config', () => {
  const scoped = 'listener.name.internal.scram-sha-512.sasl.jaas.config';
  assert.deepEqual(
    interBrokerSasl({ 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512', [scoped]: `${SCRAM} required username="admin" password="admin-secret";`, 'sasl.jaas.config': `${SCRAM} required username="other" password="x";` }, 'INTERNAL', ['SCRAM-SHA-512']),
    { credentials: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-secret' }, configKey: scoped },
  );
  assert.deepEqual(
    interBrokerSasl({ 'sasl.mechanism.inter.broker.protocol': 'plain', 'sasl.jaas.config': `${PLAIN} required username="admin" password="admin-secret" user_admin="admin-secret";` }, 'SASL_PLAINTEXT', ['PLAIN']),
    { credentials: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' }, configKey: 'sasl.jaas.config' },
  );
});

test('without a JAAS key, the JAAS file\'s <listener>.KafkaServer context holds the broker\'s login, as Kafka looks it up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-jaas-'));
  try {
    const file = join(dir, 'kafka_server_jaas.conf');
    writeFileSync(file, `KafkaServer {\n  ${SCRAM} required username="other" password="x";\n};\nsasl_ssl.KafkaServer {\n  ${SCRAM} required username="admin" password="admin-secret";\n};\n`);
    const login = interBrokerSasl({ 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-256', 'java.security.auth.login.config': file }, 'SASL_SSL', ['SCRAM-SHA-256']);
    assert.deepEqual(login.credentials, { mechanism: 'SCRAM-SHA-256', username: 'admin', password: 'admin-secret' });
    assert.match(login.configKey, /^java\.security\.auth\.login\.config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an inter-broker SASL configuration Samsa cannot use is a sentence that says what to set', () => {
  const refused = (raw: Record<string, string>, enabled: string[], expected: RegExp): void =>
    assert.throws(() => interBrokerSasl(raw, 'SASL_SSL', enabled), (err: Error) => err instanceof ConfigError && expected.test(err.message), expected.source);
  refused({}, ['PLAIN'], /^sasl\.mechanism\.inter\.broker\.protocol: not set, so it is Kafka's default GSSAPI .* set sasl\.mechanism\.inter\.broker\.protocol=SCRAM-SHA-512/);
  refused({ 'sasl.mechanism.inter.broker.protocol': 'OAUTHBEARER' }, ['OAUTHBEARER'], /cannot log in to each other with OAUTHBEARER/);
  refused({ 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-256' }, ['PLAIN'], /must be included in sasl\.enabled\.mechanisms of the inter-broker listener SASL_SSL \(it enables PLAIN\)/);
  refused({ 'sasl.mechanism.inter.broker.protocol': 'PLAIN' }, ['PLAIN'], /have no credentials: set listener\.name\.sasl_ssl\.plain\.sasl\.jaas\.config=.*PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret";/);
  refused({ 'sasl.mechanism.inter.broker.protocol': 'PLAIN', 'listener.name.sasl_ssl.plain.sasl.jaas.config': `${PLAIN} required user_admin="admin-secret";` }, ['PLAIN'], /username="…" and password="…", which are missing/);
  refused({ 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512', 'sasl.jaas.config': `${PLAIN} required username="a" password="b";` }, ['SCRAM-SHA-512'], /SASL\/SCRAM-SHA-512 takes .*ScramLoginModule, not .*PlainLoginModule/);
});

test('a failing peer is warned about once, then once per interval with the count; a refused login backs off up to the maximum; recovery is noted', () => {
  const lines: Array<{ level: string; msg: string; failures: number }> = [];
  const logger = createLogger('info', {}, (line) => lines.push(JSON.parse(line) as { level: string; msg: string; failures: number }));
  const f = new PeerFailures(logger, 2, 'cannot fetch from the leader', 'fetching from the leader again');
  const refused = new PeerAuthenticationError('refused');
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) waits.push(f.failed(refused, 1000 + i * 1000, 1000));
  assert.deepEqual(waits, [1000, 2000, 4000, PEER_LOGIN_BACKOFF_MAX_MS, PEER_LOGIN_BACKOFF_MAX_MS, PEER_LOGIN_BACKOFF_MAX_MS]);
  assert.equal(f.failed(new PeerConnectionError('unreachable'), 7000, 1000), 1000, 'other failures wait the plain backoff');
  assert.deepEqual(lines.map((l) => l.msg), ['cannot fetch from the leader; retrying']);
  f.failed(refused, 1000 + PEER_FAILURE_REPORT_INTERVAL_MS, 1000);
  assert.deepEqual(lines.map((l) => [l.msg, l.failures]), [['cannot fetch from the leader; retrying', 1], ['cannot fetch from the leader still; retrying', 8]]);
  f.succeeded();
  f.succeeded();
  assert.deepEqual(lines.slice(2).map((l) => [l.level, l.msg, l.failures]), [['info', 'fetching from the leader again', 8]]);
  assert.equal(f.failing, false);
});
