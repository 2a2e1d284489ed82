/**
 * What the broker says at start-up about the keys it was given (as Kafka logs the configs it was
 * supplied but does not use): a warning per key Kafka does not know (with the closest known key, so
 * `num.partitons` points at `num.partitions`), a warning per security key that no listener could
 * use, and a line per Kafka key Samsa accepts but ignores by design, saying why.
 */
import { SHARE_COORDINATOR_DEFAULTS } from '../coordinator/share/config.js';
import { BROKER_CONFIGS } from '../cluster/config-catalog.js';
import { GROUP_COORDINATOR_DEFAULTS } from '../coordinator/group/config.js';
import { TXN_COORDINATOR_DEFAULTS } from '../coordinator/txn/config.js';
import type { Logger } from '../util/logger.js';

/** The broker keys Samsa acts on (server.properties and, where Kafka allows it, at runtime). */
export const SAMSA_BROKER_KEYS: ReadonlySet<string> = new Set([
  'node.id', 'broker.id', 'listeners', 'advertised.listeners', 'listener.security.protocol.map', 'controller.listener.names', 'log.dirs', 'log.dir',
  'num.partitions', 'default.replication.factor', 'auto.create.topics.enable', 'delete.topic.enable', 'message.max.bytes', 'socket.request.max.bytes',
  'log.retention.ms', 'log.retention.minutes', 'log.retention.hours', 'log.retention.bytes', 'log.retention.check.interval.ms',
  'log.segment.bytes', 'log.roll.ms', 'log.roll.hours', 'log.index.size.max.bytes', 'log.index.interval.bytes',
  'log.flush.interval.messages', 'log.flush.interval.ms', 'log.message.timestamp.type', 'log.message.timestamp.before.max.ms',
  'log.message.timestamp.after.max.ms', 'compression.type', 'log.cleanup.policy', 'min.insync.replicas', 'log.segment.delete.delay.ms',
  'log.cleaner.enable', 'log.cleaner.backoff.ms', 'log.cleaner.delete.retention.ms', 'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.max.compaction.lag.ms', 'log.cleaner.min.cleanable.ratio', 'producer.id.expiration.ms',
  // A cluster (metadata.etcd.endpoints): Samsa's keys for etcd, and Kafka's replication keys.
  'metadata.etcd.endpoints', 'metadata.etcd.prefix', 'broker.session.timeout.ms', 'broker.rack', 'inter.broker.listener.name',
  'replica.lag.time.max.ms', 'replica.fetch.wait.max.ms', 'replica.fetch.min.bytes', 'replica.fetch.max.bytes', 'replica.fetch.response.max.bytes',
  'replica.fetch.backoff.ms', 'replica.high.watermark.checkpoint.interval.ms', 'unclean.leader.election.enable', 'controlled.shutdown.enable',
  'auto.leader.rebalance.enable', 'leader.imbalance.check.interval.seconds', 'leader.imbalance.per.broker.percentage',
  'leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replication.quota.window.num', 'replication.quota.window.size.seconds',
  // Incremental fetch sessions (fetch-session.ts).
  'max.incremental.fetch.session.cache.slots',
  // Client quotas and connection limits (client-quota-manager.ts, connection-quotas.ts).
  'quota.window.num', 'quota.window.size.seconds', 'max.connections', 'max.connections.per.ip', 'max.connections.per.ip.overrides',
  'authorizer.class.name', 'super.users', 'allow.everyone.if.no.acl.found',
  // The Prometheus endpoint (broker/metrics/).
  'metrics.listener',
  ...Object.keys(GROUP_COORDINATOR_DEFAULTS), ...Object.keys(TXN_COORDINATOR_DEFAULTS), ...Object.keys(SHARE_COORDINATOR_DEFAULTS),
  'share.coordinator.state.topic.replication.factor',
  // The web console (src/console/), started through services.ts; console.client.* are its client properties.
  'console.listener',
]);

/** Why a Kafka key Samsa does not act on is ignored, by the first rule that matches it. */
const IGNORED: ReadonlyArray<[RegExp, string]> = [
  [/^zookeeper\.|^zookeeper$/, 'ZooKeeper mode is gone in Kafka 4; Samsa keeps its own metadata'],
  [/^(process\.roles|controller\.|metadata\.|broker\.heartbeat|broker\.session|initial\.broker\.registration|node\.id\.|early\.start|eligible\.leader|migration)/, 'a single Samsa broker runs without a KRaft controller quorum'],
  [/^(num\.(network|io|replica|recovery)|background\.threads|queued\.max|num\.replica\.alter)/, 'Node.js serves every connection from one event loop; there are no thread pools to size'],
  [/^socket\.(send|receive)\.buffer\.bytes$|^socket\.listen\.backlog/, 'the operating system sizes socket buffers'],
  [/^inter\.broker/, 'one broker: there is no traffic between brokers'],
  [/^(offsets\.topic\.replication\.factor|transaction\.state\.log\.(replication\.factor|min\.isr)|replica\.|auto\.leader|leader\.imbalance|unclean\.|controlled\.shutdown|broker\.rack|reserved\.broker|broker\.id\.generation)/, 'one broker: every partition has a single replica'],
  [/^(remote\.|log\.local\.)/, 'tiered storage is not supported'],
  [/^(group\.share\.|share\.)/, 'Samsa reads the group.share.* and share.* keys it acts on (sessions, heartbeats, locks, delivery counts, partition locks), not this one'],
  [/^group\.consumer\./, 'Samsa reads the group.consumer.* keys of Kafka 4.0 it acts on (session, heartbeat, size, assignors, migration policy), not this one'],
  [/^group\.coordinator\./, 'the group coordinator runs in the event loop (group.coordinator.rebalance.protocols is read)'],
  [/^group\.streams\./, 'the streams group protocol (KIP-1071) is not served'],
  [/^(metric|metrics|kafka\.metrics|telemetry)/, 'Samsa has no JMX metrics'],
  [/quota|throttled|^max\.connection|^connections\.max/, 'Samsa enforces client quotas, max.connections, max.connections.per.ip(.overrides) and listener max.connections, not this key'],
  [/^(delegation\.token|password\.encoder)/, 'delegation tokens are not supported'],
  [/^principal\.builder/, "principals are Kafka's default ones (the SASL user, the certificate's subject, User:ANONYMOUS)"],
];

/** Keys that only matter with a TLS or SASL listener, which Samsa cannot open yet. */
const SECURITY_KEY = /^(sasl\.|security\.|connections\.max\.reauth|listener\.name\.)/;

/** The keys a SASL listener reads (sasl.ts), plain or as listener.name.<name>.…. */
const SASL_KEYS = new Set([
  'sasl.enabled.mechanisms', 'sasl.jaas.config', 'connection.failed.authentication.delay.ms', 'connections.max.reauth.ms', 'sasl.server.callback.handler.class',
  'sasl.oauthbearer.jwks.endpoint.url', 'sasl.oauthbearer.jwks.endpoint.refresh.ms', 'sasl.oauthbearer.expected.audience', 'sasl.oauthbearer.expected.issuer',
  'sasl.oauthbearer.sub.claim.name', 'sasl.oauthbearer.clock.skew.seconds', 'java.security.auth.login.config', 'sasl.mechanism.inter.broker.protocol',
]);
/** The mechanism a listener-scoped SASL key may name (`listener.name.<l>.<mechanism>.<key>`). */
const MECHANISM_PREFIX = /^(plain|oauthbearer|scram-sha-256|scram-sha-512)\./;

/** The ssl.* keys an SSL listener reads (tls.ts), plain or as listener.name.<name>.ssl.…. */
const TLS_KEYS = new Set([
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.certificates', 'ssl.client.auth', 'ssl.enabled.protocols', 'ssl.cipher.suites', 'ssl.principal.mapping.rules',
]);

/** Edit distance, for suggesting the key a typo meant. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known key closest to `key`, when it is close enough to be a typo of it. */
export function closestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of [...Object.keys(BROKER_CONFIGS), ...SAMSA_BROKER_KEYS]) {
    const d = distance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 5)) ? best : undefined;
}

export interface ConfigNote {
  level: 'warn' | 'info';
  key: string;
  message: string;
}

/** One note per given key that Samsa does not act on (nothing for the keys it uses). */
export function configNotes(given: Readonly<Record<string, string>>): ConfigNote[] {
  const notes: ConfigNote[] = [];
  for (const key of Object.keys(given).sort()) {
    if (SAMSA_BROKER_KEYS.has(key) || key.startsWith('samsa.') || key.startsWith('console.client.')) continue;
    const perListener = key.replace(/^listener\.name\.[^.]+\./, '');
    if (TLS_KEYS.has(perListener) || SASL_KEYS.has(perListener) || (perListener !== key && SASL_KEYS.has(perListener.replace(MECHANISM_PREFIX, ''))) || (perListener !== key && perListener === 'max.connections')) continue;
    if (SECURITY_KEY.test(key)) {
      notes.push({ level: 'warn', key, message: `${key} is ignored: Samsa does not read it (no GSSAPI or delegation tokens)` });
      continue;
    }
    const info = BROKER_CONFIGS[key];
    if (info === undefined) {
      const near = closestKey(key);
      notes.push({ level: 'warn', key, message: `${key} is not a Kafka broker config and is ignored${near === undefined ? '' : `; did you mean ${near}?`}` });
      continue;
    }
    const why = info.removed ? 'Kafka 4 removed it (ZooKeeper mode, old message formats)' : (IGNORED.find(([re]) => re.test(key))?.[1] ?? 'Samsa does not use it');
    notes.push({ level: 'info', key, message: `${key} is a Kafka config that Samsa accepts and ignores by design: ${why}` });
  }
  return notes;
}

/** Logs the start-up notes: unknown and unusable keys as warnings (shown at every default level), the rest at info. */
export function logConfigNotes(given: Readonly<Record<string, string>>, logger: Logger): void {
  for (const n of configNotes(given)) logger[n.level](n.message, { key: n.key });
}
