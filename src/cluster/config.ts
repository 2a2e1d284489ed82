/**
 * Broker configuration: Kafka's `server.properties` keys with Kafka's defaults (apart from
 * `log.dirs`, `./data`, and `listeners`, localhost, so a first start is private and local).
 */
import { readFileSync } from 'node:fs';
import { parseProperties } from '../util/properties.js';
import { parseHttpAddress, type HttpAddress } from '../util/http-address.js';

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface BrokerConfig {
  nodeId: number;
  listeners: Listener[];
  advertisedListeners: Listener[];
  logDirs: string[];
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  messageMaxBytes: number;
  socketRequestMaxBytes: number;
  retentionMs: number;
  retentionBytes: number;
  retentionCheckIntervalMs: number;
  segmentBytes: number;
  segmentMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  flushIntervalMessages: number;
  flushIntervalMs: number;
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  compressionType: string;
  cleanupPolicy: string;
  minInsyncReplicas: number;
  fileDeleteDelayMs: number;
  /** Every key in force (given over Samsa's defaults), for keys other parts read. */
  raw: Record<string, string>;
  /** Only the keys given at start-up (Kafka's STATIC_BROKER_CONFIG), with node.id and broker.id as synonyms of each other. */
  given: Record<string, string>;
  /** Listeners named in controller.listener.names: KRaft controller listeners, which Samsa does not open. */
  controllerListeners: Listener[];
  /** Each listener's security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), by listener name. */
  securityProtocols: Record<string, string>;
  /** Samsa's `console.listener`: where the web console is served (src/console/); null when unset. */
  consoleListener: HttpAddress | null;
}

/** Kafka's default listener.security.protocol.map: each security protocol's name maps to itself. */
const DEFAULT_PROTOCOL_MAP = 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT';
const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Parses listener.security.protocol.map (`NAME:PROTOCOL,...`); ConfigError names a bad entry. */
export function parseProtocolMap(value: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([A-Za-z0-9_]+)\s*:\s*([A-Za-z_]+)$/.exec(entry);
    if (m === null || !SECURITY_PROTOCOLS.includes(m[2]!.toUpperCase()))
      throw new ConfigError(`listener.security.protocol.map: '${entry}' is not NAME:PROTOCOL with PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')}`);
    map.set(m[1]!.toUpperCase(), m[2]!.toUpperCase());
  }
  return map;
}

/** Each listener's security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL). */
function listenerProtocols(listeners: Listener[], key: string, protocols: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of listeners) {
    const protocol = protocols.get(l.name.toUpperCase());
    if (protocol === undefined)
      throw new ConfigError(`${key}: no security protocol is defined for listener ${l.name}; add ${l.name}:PLAINTEXT or ${l.name}:SSL to listener.security.protocol.map.`);
    out[l.name] = protocol;
  }
  return out;
}

/** Kafka's value for "no limit" on flush interval keys (Long.MAX_VALUE), as a safe JS number. */
const NO_FLUSH_LIMIT = Number.MAX_SAFE_INTEGER;

export const BROKER_DEFAULTS: Record<string, string> = {
  'node.id': '1',
  'broker.id': '1',
  listeners: 'PLAINTEXT://localhost:9092',
  'log.dirs': './data',
  'num.partitions': '1',
  'default.replication.factor': '1',
  'auto.create.topics.enable': 'true',
  'delete.topic.enable': 'true',
  'message.max.bytes': '1048588',
  'socket.request.max.bytes': '104857600',
  'log.retention.hours': '168',
  'log.retention.bytes': '-1',
  'log.retention.check.interval.ms': '300000',
  'log.segment.bytes': '1073741824',
  'log.roll.hours': '168',
  'log.index.size.max.bytes': '10485760',
  'log.index.interval.bytes': '4096',
  'log.message.timestamp.type': 'CreateTime',
  'compression.type': 'producer',
  'log.cleanup.policy': 'delete',
  'min.insync.replicas': '1',
  'log.segment.delete.delay.ms': '60000',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export { parseProperties };

export function readPropertiesFile(path: string): Record<string, string> {
  try {
    return parseProperties(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
}

export function parseListeners(value: string, key: string): Listener[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(s);
      if (!m) throw new ConfigError(`${key}: '${s}' is not NAME://host:port (e.g. PLAINTEXT://localhost:9092)`);
      const port = Number(m[3]);
      if (port > 65535) throw new ConfigError(`${key}: port ${port} is out of range 0-65535`);
      return { name: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
    });
}

/** An HTTP listener key (`http://host:port`), or null when unset; ConfigError names a bad value. */
function httpListener(props: Record<string, string>, key: string): HttpAddress | null {
  const v = props[key];
  if (v === undefined || v.trim() === '') return null;
  const address = parseHttpAddress(v);
  if (typeof address === 'string') throw new ConfigError(`${key}: ${address}`);
  return address;
}

/** An integer-valued key; throws ConfigError naming the key when it is not one or is below `min`. */
export function intProperty(props: Record<string, string>, key: string, min = -Infinity): number {
  const v = props[key]!;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new ConfigError(`${key}: '${v}' is not an integer`);
  if (n < min) throw new ConfigError(`${key}: must be at least ${min}; got ${n}`);
  return n;
}

const int = (props: Record<string, string>, key: string): number => intProperty(props, key);

function bool(props: Record<string, string>, key: string): boolean {
  const v = props[key]!.trim().toLowerCase();
  if (v !== 'true' && v !== 'false') throw new ConfigError(`${key}: '${props[key]}' is not true or false`);
  return v === 'true';
}

/** The first of several keys that is set, as Kafka resolves ms/minutes/hours variants. */
function firstMs(props: Record<string, string>, keys: Array<[string, number]>): number {
  for (const [key, scale] of keys) if (props[key] !== undefined) return int(props, key) * scale;
  return -1;
}

/** Builds the broker config from given keys over Kafka's defaults. Throws ConfigError on bad values. */
export function buildBrokerConfig(given: Record<string, string>): BrokerConfig {
  const props = { ...BROKER_DEFAULTS, ...given };
  const givenWithSynonyms = { ...given };
  if (given['broker.id'] !== undefined && given['node.id'] === undefined) props['node.id'] = givenWithSynonyms['node.id'] = given['broker.id'];
  if (given['node.id'] !== undefined && given['broker.id'] === undefined) givenWithSynonyms['broker.id'] = given['node.id'];
  // As in Kafka, log.dir is the fallback when log.dirs is not given.
  if (given['log.dirs'] === undefined && given['log.dir'] !== undefined) props['log.dirs'] = given['log.dir'];
  const protocols = parseProtocolMap(props['listener.security.protocol.map'] ?? DEFAULT_PROTOCOL_MAP);
  const controllerNames = new Set((props['controller.listener.names'] ?? '').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== ''));
  const allListeners = parseListeners(props.listeners!, 'listeners');
  const listeners = allListeners.filter((l) => !controllerNames.has(l.name.toUpperCase()));
  const controllerListeners = allListeners.filter((l) => controllerNames.has(l.name.toUpperCase()));
  if (listeners.length === 0) throw new ConfigError('listeners: at least one listener is needed (besides those in controller.listener.names, which Samsa does not open)');
  const securityProtocols = listenerProtocols(listeners, 'listeners', protocols);
  const advertised = props['advertised.listeners']
    ? parseListeners(props['advertised.listeners'], 'advertised.listeners').filter((l) => !controllerNames.has(l.name.toUpperCase()))
    : listeners;
  listenerProtocols(advertised, 'advertised.listeners', protocols);
  const names = new Set(listeners.map((l) => l.name.toUpperCase()));
  const stray = advertised.find((l) => !names.has(l.name.toUpperCase()));
  if (stray !== undefined)
    throw new ConfigError(`advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${stray.name}. The valid options based on the current configuration are ${listeners.map((l) => l.name).join(',')}`);
  const retentionMs = firstMs(props, [['log.retention.ms', 1], ['log.retention.minutes', 60_000], ['log.retention.hours', 3_600_000]]);
  const segmentMs = firstMs(props, [['log.roll.ms', 1], ['log.roll.hours', 3_600_000]]);
  const ts = props['log.message.timestamp.type']!;
  if (ts !== 'CreateTime' && ts !== 'LogAppendTime')
    throw new ConfigError(`log.message.timestamp.type: '${ts}' must be CreateTime or LogAppendTime`);
  const cfg: BrokerConfig = {
    nodeId: int(props, 'node.id'),
    listeners,
    advertisedListeners: advertised,
    logDirs: props['log.dirs']!.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    numPartitions: int(props, 'num.partitions'),
    defaultReplicationFactor: int(props, 'default.replication.factor'),
    autoCreateTopicsEnable: bool(props, 'auto.create.topics.enable'),
    deleteTopicEnable: bool(props, 'delete.topic.enable'),
    messageMaxBytes: int(props, 'message.max.bytes'),
    socketRequestMaxBytes: int(props, 'socket.request.max.bytes'),
    retentionMs,
    retentionBytes: int(props, 'log.retention.bytes'),
    retentionCheckIntervalMs: int(props, 'log.retention.check.interval.ms'),
    segmentBytes: int(props, 'log.segment.bytes'),
    segmentMs,
    segmentIndexBytes: int(props, 'log.index.size.max.bytes'),
    indexIntervalBytes: int(props, 'log.index.interval.bytes'),
    flushIntervalMessages: props['log.flush.interval.messages'] ? int(props, 'log.flush.interval.messages') : NO_FLUSH_LIMIT,
    flushIntervalMs: props['log.flush.interval.ms'] ? int(props, 'log.flush.interval.ms') : NO_FLUSH_LIMIT,
    messageTimestampType: ts,
    compressionType: props['compression.type']!,
    cleanupPolicy: props['log.cleanup.policy']!,
    minInsyncReplicas: int(props, 'min.insync.replicas'),
    fileDeleteDelayMs: int(props, 'log.segment.delete.delay.ms'),
    raw: props,
    given: givenWithSynonyms,
    controllerListeners,
    securityProtocols,
    consoleListener: httpListener(props, 'console.listener'),
  };
  if (cfg.logDirs.length === 0) throw new ConfigError('log.dirs: at least one directory is needed');
  if (cfg.numPartitions < 1) throw new ConfigError('num.partitions: must be at least 1');
  if (cfg.messageMaxBytes < 0) throw new ConfigError('message.max.bytes: must be at least 0');
  if (cfg.socketRequestMaxBytes < 1) throw new ConfigError('socket.request.max.bytes: must be at least 1');
  return cfg;
}
