/**
 * Kafka's client configuration names (`bootstrap.servers`, `acks`, `group.id`, …) mapped onto
 * Samsa's client options, for tools and applications that hold Java-style properties.
 *
 * Keys the client cannot honour come back in `unsupported` so the caller can name them. Security
 * settings are refused outright: the client speaks PLAINTEXT only, and connecting in plaintext
 * when TLS or SASL was asked for would be a silent downgrade.
 */
import type { ClusterOptions } from './cluster.js';
import type { AssignorName, ConsumerOptions, IsolationLevel, OffsetReset } from './consumer.js';
import { InvalidArgumentError, UnsupportedSecurityError } from './errors.js';
import { CLIENT_TLS_KEYS, clientTls } from './tls-config.js';
import { CLIENT_SASL_KEYS, clientSasl, isClientSaslMechanism } from './sasl-config.js';
import type { Acks, CompressionType, ProducerOptions } from './producer.js';

export type ClientRole = 'admin' | 'producer' | 'consumer';

export interface ClientProperties {
  client: Partial<ClusterOptions>;
  producer: ProducerOptions;
  consumer: ConsumerOptions;
  /** Kafka's linger.ms and batch.size, for callers that gather records into sends themselves. */
  lingerMs?: number;
  batchBytes?: number;
  /** Keys given that this client does not honour (Kafka's keys it lacks, and unknown ones). */
  unsupported: string[];
}

/** Serializers and deserializers that hand bytes through unchanged, which is all the client does. */
const BYTE_CODECS = new Set([
  'org.apache.kafka.common.serialization.ByteArraySerializer',
  'org.apache.kafka.common.serialization.ByteArrayDeserializer',
  'org.apache.kafka.common.serialization.StringSerializer',
  'org.apache.kafka.common.serialization.StringDeserializer',
]);
const CODEC_KEYS = new Set(['key.serializer', 'value.serializer', 'key.deserializer', 'value.deserializer']);

type Setter = (p: ClientProperties, value: string, key: string) => void;

const COMMON: Record<string, Setter> = {
  'bootstrap.servers': (p, v) => (p.client.bootstrapServers = v),
  'client.id': (p, v) => (p.client.clientId = v),
  'request.timeout.ms': (p, v, k) => (p.client.requestTimeoutMs = whole(v, k, 1)),
  'socket.connection.setup.timeout.ms': (p, v, k) => (p.client.connectTimeoutMs = whole(v, k, 1)),
  retries: (p, v, k) => (p.client.retries = whole(v, k, 0)),
  'retry.backoff.ms': (p, v, k) => (p.client.retryBackoffMs = whole(v, k, 0)),
  'security.protocol': () => undefined, // read above: TLS and SASL settings
};

const PRODUCER: Record<string, Setter> = {
  acks: (p, v) => (p.producer.acks = acks(v)),
  'compression.type': (p, v) => (p.producer.compression = compression(v)),
  'enable.idempotence': (p, v, k) => (p.producer.idempotent = bool(v, k)),
  'transactional.id': (p, v) => (p.producer.transactionalId = v),
  'transaction.timeout.ms': (p, v, k) => (p.producer.transactionTimeoutMs = whole(v, k, 1)),
  'linger.ms': (p, v, k) => (p.lingerMs = whole(v, k, 0)),
  'batch.size': (p, v, k) => (p.batchBytes = whole(v, k, 0)),
};

const CONSUMER: Record<string, Setter> = {
  'group.id': (p, v) => (p.consumer.groupId = v),
  'group.instance.id': (p, v) => (p.consumer.groupInstanceId = v),
  'group.protocol': (p, v) => (p.consumer.groupProtocol = oneOf<'classic' | 'consumer'>(v.toLowerCase(), 'group.protocol', ['classic', 'consumer'])),
  'auto.offset.reset': (p, v) => (p.consumer.autoOffsetReset = oneOf<OffsetReset>(v, 'auto.offset.reset', ['earliest', 'latest', 'none'])),
  'isolation.level': (p, v) => (p.consumer.isolationLevel = oneOf<IsolationLevel>(v, 'isolation.level', ['read_uncommitted', 'read_committed'])),
  'fetch.min.bytes': (p, v, k) => (p.consumer.minBytes = whole(v, k, 0)),
  'fetch.max.wait.ms': (p, v, k) => (p.consumer.maxWaitMs = whole(v, k, 0)),
  'fetch.max.bytes': (p, v, k) => (p.consumer.maxBytes = whole(v, k, 0)),
  'max.partition.fetch.bytes': (p, v, k) => (p.consumer.partitionMaxBytes = whole(v, k, 0)),
  'session.timeout.ms': (p, v, k) => (p.consumer.sessionTimeoutMs = whole(v, k, 1)),
  'heartbeat.interval.ms': (p, v, k) => (p.consumer.heartbeatIntervalMs = whole(v, k, 1)),
  'max.poll.interval.ms': (p, v, k) => (p.consumer.rebalanceTimeoutMs = whole(v, k, 1)),
  'enable.auto.commit': (p, v, k) => (p.consumer.autoCommit = bool(v, k)),
  'auto.commit.interval.ms': (p, v, k) => (p.consumer.autoCommitIntervalMs = whole(v, k, 0)),
  'metadata.max.age.ms': (p, v, k) => (p.consumer.metadataMaxAgeMs = whole(v, k, 0)),
  'partition.assignment.strategy': (p, v) => (p.consumer.partitionAssignors = assignors(v)),
};

const BY_ROLE: Record<ClientRole, Record<string, Setter>> = {
  admin: COMMON,
  producer: { ...COMMON, ...PRODUCER },
  consumer: { ...COMMON, ...CONSUMER },
};

/**
 * Throws UnsupportedSecurityError for a security setting the client cannot honour: a SASL
 * mechanism other than PLAIN and SCRAM (Kafka's default is GSSAPI). Call it before connecting.
 */
export function assertNoSasl(props: Iterable<[string, string]>): void {
  const entries = [...props];
  const protocol = entries.filter(([k]) => k === 'security.protocol').pop()?.[1].trim().toUpperCase() ?? 'PLAINTEXT';
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new InvalidArgumentError(`security.protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, not '${protocol}'.`);
  if (!protocol.startsWith('SASL_')) return;
  const mechanism = (entries.filter(([k]) => k === 'sasl.mechanism').pop()?.[1] ?? 'GSSAPI').trim().toUpperCase();
  if (!isClientSaslMechanism(mechanism)) throw new UnsupportedSecurityError(`security.protocol=${protocol}, sasl.mechanism=${mechanism}`);
}

/** Maps Kafka client properties for one role; throws on SASL settings and on values Kafka would reject. */
export function clientProperties(props: Iterable<[string, string]> | Record<string, string>, role: ClientRole): ClientProperties {
  const entries = Symbol.iterator in props ? [...(props as Iterable<[string, string]>)] : Object.entries(props);
  assertNoSasl(entries);
  const out: ClientProperties = { client: {}, producer: {}, consumer: {}, unsupported: [] };
  const setters = BY_ROLE[role];
  const protocol = entries.filter(([k]) => k === 'security.protocol').pop()?.[1].trim().toUpperCase() ?? 'PLAINTEXT';
  const tlsOn = protocol === 'SSL' || protocol === 'SASL_SSL';
  const saslOn = protocol.startsWith('SASL_');
  if (tlsOn) out.client.tls = clientTls(new Map(entries));
  if (saslOn) out.client.sasl = clientSasl(new Map(entries));
  for (const [key, value] of entries) {
    const set = setters[key];
    if (set !== undefined) set(out, value, key);
    else if ((tlsOn && CLIENT_TLS_KEYS.has(key)) || (saslOn && CLIENT_SASL_KEYS.has(key))) continue;
    else if (!(CODEC_KEYS.has(key) && BYTE_CODECS.has(value.trim()))) out.unsupported.push(key);
  }
  return out;
}

function whole(text: string, key: string, min: number): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`${key} must be a whole number of at least ${min}, not '${text}'.`);
  }
  return n;
}

function bool(text: string, key: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw new InvalidArgumentError(`${key} must be true or false, not '${text}'.`);
}

function oneOf<T extends string>(text: string, key: string, allowed: readonly T[]): T {
  const t = text.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(t)) return t as T;
  throw new InvalidArgumentError(`${key} must be one of ${allowed.join(', ')}, not '${text}'.`);
}

function acks(text: string): Acks {
  const t = text.trim().toLowerCase();
  if (t === 'all' || t === '-1') return -1;
  if (t === '1') return 1;
  if (t === '0') return 0;
  throw new InvalidArgumentError(`acks must be all, -1, 1 or 0, not '${text}'.`);
}

function compression(text: string): CompressionType {
  return oneOf<CompressionType>(text, 'compression.type', ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
}

/** Kafka's assignor class names or Samsa's short names, comma-separated. */
export function assignors(text: string): AssignorName[] {
  return text.split(',').map((name) => {
    const short = name.trim().replace(/^org\.apache\.kafka\.clients\.consumer\./, '');
    if (short === 'range' || short === 'RangeAssignor') return 'range';
    if (short === 'cooperative-sticky' || short === 'CooperativeStickyAssignor') return 'cooperative-sticky';
    throw new InvalidArgumentError(`partition.assignment.strategy '${name.trim()}' is not one samsa has; use range or cooperative-sticky.`);
  });
}
