/**
 * What the client knows about the cluster: brokers, topics, partition leaders, and one
 * connection per broker. Requests that fail because that knowledge went stale or a broker went
 * away are retried after a metadata refresh, with exponential backoff, until the call's own
 * timeout (Kafka's default.api.timeout.ms). A broker that cannot be reached is tried again after
 * a reconnect backoff that grows per failure (reconnect.backoff.ms → reconnect.backoff.max.ms),
 * with a warning line per failed attempt, as Kafka's NetworkClient does, so a client rides out a
 * broker restart.
 */
import type { ClientTls } from './tls-config.js';
import type { ClientSasl } from './sasl-config.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName, isRetriable } from '../protocol/errors.js';
import { ZERO_UUID_STRING } from '../protocol/writer.js';
import type { MetadataRequest, MetadataResponse } from '../protocol/messages/03-metadata.js';
import { Connection } from './connection.js';
import { createLogger, type Logger } from '../util/logger.js';
import { ConnectionError, ClosedError, InvalidArgumentError, RequestTimeoutError, UnsupportedSecurityError } from './errors.js';

const METADATA_KEY = 3;
/** v10+ carries topic ids (v12: topics by id, null names); the tools show them as Kafka's do. */
const METADATA_VERSION_MAX = 12;
export const DEFAULT_PORT = 9092;
/** Kafka's `retries`: no limit of its own; the call's timeout ends the retrying. */
export const RETRIES_DEFAULT = Number.POSITIVE_INFINITY;
/** Kafka's retry.backoff.ms and retry.backoff.max.ms: the wait before a retry doubles up to the max. */
export const RETRY_BACKOFF_MS_DEFAULT = 100;
export const RETRY_BACKOFF_MAX_MS_DEFAULT = 1000;
/** Kafka's reconnect.backoff.ms and reconnect.backoff.max.ms: the wait before reconnecting to a broker. */
export const RECONNECT_BACKOFF_MS_DEFAULT = 50;
export const RECONNECT_BACKOFF_MAX_MS_DEFAULT = 1000;
/** Kafka's default.api.timeout.ms: how long a call that retries may take in all. */
export const DEFAULT_API_TIMEOUT_MS_DEFAULT = 60_000;
/** Kafka's clients spread backoffs by ±20% so that many clients do not retry in step. */
const BACKOFF_JITTER = 0.2;

/** Errors that mean "your metadata is stale": refresh, then try again. */
const REFRESH_CODES = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

export interface ClusterOptions {
  /** "host:port[,host:port]" or a list of "host:port". */
  bootstrapServers: string | string[];
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Attempts after the first for requests that fail on stale metadata or a lost connection (Kafka's `retries`; default: no limit but the timeout). */
  retries?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
  /** How long a retried call may take in all (Kafka's default.api.timeout.ms, 60000). */
  defaultApiTimeoutMs?: number;
  /** Where warnings go (a broker that cannot be reached); JSON lines on stderr by default. */
  logger?: Logger;
  /** Connect with TLS (security.protocol=SSL): CA certificates, and a client certificate for mutual TLS. */
  tls?: ClientTls;
  /** Log in with SASL/PLAIN on every connection (security.protocol=SASL_PLAINTEXT or SASL_SSL). */
  sasl?: ClientSasl;
}

/** Failed connection attempts to one address in a row, and when the next may start. */
interface ReconnectState {
  failures: number;
  nextAttemptAt: number;
}

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface BrokerInfo extends BrokerAddress {
  nodeId: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  /** -1 when the partition has no leader right now. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  /** Kafka's base64 form; all zeros ("AAAAAAAAAAAAAAAAAAAAAA") when the broker sends none. */
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

export interface MetadataSnapshot {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  /** Topics the reply described without error. */
  topics: TopicInfo[];
  /** Topics the reply refused, with Kafka's error code. */
  topicErrors: Array<{ name: string; errorCode: number }>;
}

export interface RefreshOptions {
  allowAutoTopicCreation?: boolean;
}

/** Parses "host:port,[::1]:9093,PLAINTEXT://other" into addresses; the port defaults to 9092. */
export function parseBootstrapServers(servers: string | string[]): BrokerAddress[] {
  const items = (Array.isArray(servers) ? servers : servers.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('No bootstrap servers given; pass at least one "host:port".');
  return items.map(parseAddress);
}

function parseAddress(text: string): BrokerAddress {
  // A listener name is just a label, but a security protocol's name asks for TLS or SASL.
  const scheme = /^([A-Za-z_]+):\/\//.exec(text)?.[1]?.toUpperCase();
  if (scheme === 'SSL' || scheme === 'SASL_SSL' || scheme === 'SASL_PLAINTEXT')
    throw new InvalidArgumentError(`bootstrap server ${text}: give it as host:port and set security.protocol=${scheme} (with its ssl.* or sasl.* keys).`);
  const bare = text.replace(/^[A-Za-z_]+:\/\//, '');
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(bare);
  const port = m?.[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (m === null || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`"${text}" is not a valid broker address; use "host:port", e.g. "localhost:9092".`);
  }
  return { host: m[1] ?? m[2]!, port };
}

export class Cluster {
  private readonly bootstrap: BrokerAddress[];
  private readonly opts: ClusterOptions;
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  private readonly connections = new Map<number, Promise<Connection>>();
  private bootstrapConnection: Promise<Connection> | null = null;
  private controllerIdValue = -1;
  private clusterIdValue: string | null = null;
  private closed = false;
  private readonly reconnects = new Map<string, ReconnectState>();
  /** Ends the backoff sleeps at close(). */
  private readonly closing = new AbortController();
  readonly logger: Logger;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.bootstrap = parseBootstrapServers(opts.bootstrapServers);
    this.logger = opts.logger ?? createLogger();
  }

  get defaultApiTimeoutMs(): number {
    return this.opts.defaultApiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS_DEFAULT;
  }

  get retries(): number {
    return this.opts.retries ?? RETRIES_DEFAULT;
  }

  get controllerId(): number {
    return this.controllerIdValue;
  }

  get clusterId(): string | null {
    return this.clusterIdValue;
  }

  /** Asks a broker for metadata (null = every topic) and merges it into what is known. */
  async refresh(topicNames: string[] | null, opts: RefreshOptions = {}): Promise<MetadataSnapshot> {
    const conn = await this.anyConnection();
    const version = conn.versionFor(METADATA_KEY, METADATA_VERSION_MAX);
    const topics = topicNames === null ? (version === 0 ? [] : null) : topicNames.map((name) => ({ topicId: ZERO_UUID_STRING, name }));
    const resp = await conn.request<MetadataRequest, MetadataResponse>(METADATA_KEY, version, {
      topics,
      allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    return this.merge(resp);
  }

  private merge(resp: MetadataResponse): MetadataSnapshot {
    const brokers = resp.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    for (const b of brokers) {
      const known = this.brokers.get(b.nodeId);
      // A broker that moved gets a fresh connection.
      if (known !== undefined && (known.host !== b.host || known.port !== b.port)) this.dropConnection(b.nodeId);
      this.brokers.set(b.nodeId, b);
    }
    this.controllerIdValue = resp.controllerId;
    this.clusterIdValue = resp.clusterId;
    const snapshot: MetadataSnapshot = { clusterId: resp.clusterId, controllerId: resp.controllerId, brokers, topics: [], topicErrors: [] };
    for (const t of resp.topics) {
      const name = t.name ?? '';
      if (t.errorCode !== ErrorCode.NONE) {
        snapshot.topicErrors.push({ name, errorCode: t.errorCode });
        if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.topics.delete(name);
        continue;
      }
      const info: TopicInfo = {
        name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      };
      this.topics.set(name, info);
      snapshot.topics.push(info);
    }
    return snapshot;
  }

  /** A topic's partitions, from cache or a metadata request; throws KafkaError if the broker refuses it. */
  async topic(name: string, opts: RefreshOptions & { refresh?: boolean } = {}): Promise<TopicInfo> {
    const cached = this.topics.get(name);
    if (cached !== undefined && opts.refresh !== true) return cached;
    const snapshot = await this.refresh([name], opts);
    const info = snapshot.topics.find((t) => t.name === name);
    if (info !== undefined) return info;
    const code = snapshot.topicErrors.find((t) => t.name === name)?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    throw new KafkaError(code, topicErrorMessage(name, code));
  }

  /** Forgets cached metadata for a topic so the next lookup asks a broker. */
  invalidate(topic: string): void {
    this.topics.delete(topic);
  }

  /** The leader's node id for a partition; throws a retriable KafkaError when there is none. */
  async leaderFor(topic: string, partition: number, opts: RefreshOptions = {}): Promise<number> {
    const info = await this.topic(topic, opts);
    const p = info.partitions.find((x) => x.partition === partition);
    if (p === undefined) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${topic}' has no partition ${partition} (it has ${info.partitions.length}).`);
    }
    if (p.leader < 0) {
      throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `Partition ${topic}-${partition} has no leader right now.`);
    }
    return p.leader;
  }

  /** The connection to a broker by node id, opened on first use and reopened after a failure. */
  async connectionTo(nodeId: number): Promise<Connection> {
    this.assertOpen();
    const existing = this.connections.get(nodeId);
    if (existing !== undefined) {
      const conn = await existing.catch(() => null);
      if (conn !== null && !conn.isClosed) return conn;
      if (this.connections.get(nodeId) === existing) this.connections.delete(nodeId);
    }
    const broker = this.brokers.get(nodeId);
    if (broker === undefined) {
      throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `Broker ${nodeId} is not in the cluster metadata.`);
    }
    const pending = this.connect({ host: broker.host, port: broker.port }, `node ${nodeId}`);
    this.connections.set(nodeId, pending);
    pending.catch(() => {
      if (this.connections.get(nodeId) === pending) this.connections.delete(nodeId);
    });
    return pending;
  }

  async leaderConnection(topic: string, partition: number, opts: RefreshOptions = {}): Promise<Connection> {
    return this.connectionTo(await this.leaderFor(topic, partition, opts));
  }

  /** The controller, where topic changes must go (admin requests). */
  async controllerConnection(): Promise<Connection> {
    if (this.controllerIdValue < 0) await this.refresh([]);
    if (this.controllerIdValue < 0) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'The cluster has no controller right now.');
    return this.connectionTo(this.controllerIdValue);
  }

  /** Any live connection: an open broker connection, else the first bootstrap server that answers. */
  async anyConnection(): Promise<Connection> {
    this.assertOpen();
    for (const pending of this.connections.values()) {
      const conn = await pending.catch(() => null);
      if (conn !== null && !conn.isClosed) return conn;
    }
    if (this.bootstrapConnection !== null) {
      const conn = await this.bootstrapConnection.catch(() => null);
      if (conn !== null && !conn.isClosed) return conn;
    }
    this.bootstrapConnection = this.connectBootstrap();
    return this.bootstrapConnection;
  }

  private async connectBootstrap(): Promise<Connection> {
    const failures: string[] = [];
    for (const addr of this.bootstrap) {
      try {
        return await this.connect(addr, 'bootstrap broker');
      } catch (err) {
        // A refused login is the answer, not a broker out of reach: no other address or retry changes it.
        if (err instanceof KafkaError && (err.code === ErrorCode.SASL_AUTHENTICATION_FAILED || err.code === ErrorCode.UNSUPPORTED_SASL_MECHANISM || err.code === ErrorCode.ILLEGAL_SASL_STATE)) throw err;
        failures.push((err as Error).message);
      }
    }
    const list = this.bootstrap.map((a) => `${a.host}:${a.port}`).join(', ');
    throw new ConnectionError(`Could not reach any bootstrap server (${failures.join('; ')}). Check that a broker is running at ${list}.`);
  }

  /**
   * Connects to an address once its reconnect backoff has passed. A failure lengthens the
   * backoff (doubling from reconnect.backoff.ms to reconnect.backoff.max.ms) and logs Kafka's
   * warning; a success resets it.
   */
  async connect(addr: BrokerAddress, label: string): Promise<Connection> {
    const key = `${addr.host}:${addr.port}`;
    const state = this.reconnects.get(key);
    if (state !== undefined) {
      const waitMs = state.nextAttemptAt - Date.now();
      if (waitMs > 0) await sleep(waitMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
      this.assertOpen();
    }
    try {
      const conn = await Connection.connect({ ...this.connectionOptions(), ...addr });
      if (state !== undefined) {
        this.reconnects.delete(key);
        this.logger.info(`Reconnected to ${label} (${key}).`);
      }
      return conn;
    } catch (err) {
      const failures = (state?.failures ?? 0) + 1;
      const base = this.opts.reconnectBackoffMs ?? RECONNECT_BACKOFF_MS_DEFAULT;
      const max = this.opts.reconnectBackoffMaxMs ?? RECONNECT_BACKOFF_MAX_MS_DEFAULT;
      this.reconnects.set(key, { failures, nextAttemptAt: Date.now() + jittered(Math.min(base * 2 ** (failures - 1), max)) });
      if (!this.closed) this.logger.warn(`Connection to ${label} (${key}) could not be established. Node may not be available.`, { error: err });
      throw err;
    }
  }

  private connectionOptions(): { clientId?: string; requestTimeoutMs?: number; connectTimeoutMs?: number; tls?: ClientTls; sasl?: ClientSasl } {
    const { clientId, requestTimeoutMs, connectTimeoutMs, tls, sasl } = this.opts;
    return { clientId, requestTimeoutMs, connectTimeoutMs, ...(tls !== undefined ? { tls } : {}), ...(sasl !== undefined ? { sasl } : {}) };
  }

  private dropConnection(nodeId: number): void {
    const pending = this.connections.get(nodeId);
    this.connections.delete(nodeId);
    pending?.then((c) => c.close()).catch(() => {});
  }

  /**
   * Runs `fn`, and when it fails on stale metadata, a lost connection or a request timeout,
   * refreshes metadata for `topics`, waits with exponential backoff and tries again: at most
   * `retries` more times, and not past `deadline` (default: default.api.timeout.ms from now).
   */
  async withRetry<T>(fn: (attempt: number) => Promise<T>, opts: { topics?: string[]; retries?: number; deadline?: number } = {}): Promise<T> {
    const retries = opts.retries ?? this.retries;
    const deadline = opts.deadline ?? Date.now() + this.defaultApiTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        const waitMs = this.backoffMs(attempt);
        if (attempt >= retries || !isWorthRetrying(err) || this.closed || Date.now() + waitMs >= deadline) throw err;
        await sleep(waitMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
        if (this.closed) throw err;
        if (needsRefresh(err)) {
          for (const t of opts.topics ?? []) this.invalidate(t);
          await this.refresh(opts.topics ?? []).catch(() => undefined);
        }
      }
    }
  }

  /** The wait before retry number `attempt + 1`: retry.backoff.ms doubled per attempt up to retry.backoff.max.ms, ±20%. */
  backoffMs(attempt: number): number {
    const base = this.opts.retryBackoffMs ?? RETRY_BACKOFF_MS_DEFAULT;
    const max = this.opts.retryBackoffMaxMs ?? RETRY_BACKOFF_MAX_MS_DEFAULT;
    return jittered(Math.min(base * 2 ** Math.min(attempt, 30), max));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    const all = [...this.connections.values()];
    if (this.bootstrapConnection !== null) all.push(this.bootstrapConnection);
    this.connections.clear();
    this.bootstrapConnection = null;
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('This client was closed; create a new one.');
  }
}

function isWorthRetrying(err: unknown): boolean {
  if (err instanceof KafkaError) return REFRESH_CODES.has(err.code) || isRetriable(err.code);
  return err instanceof ConnectionError || err instanceof RequestTimeoutError;
}

/** True for failures that pass: a broker away or restarting, stale metadata, a timeout. */
export function isTransient(err: unknown): boolean {
  return isWorthRetrying(err);
}

function jittered(ms: number): number {
  return Math.round(ms * (1 - BACKOFF_JITTER + Math.random() * 2 * BACKOFF_JITTER));
}

function needsRefresh(err: unknown): boolean {
  return err instanceof ConnectionError || (err instanceof KafkaError && REFRESH_CODES.has(err.code));
}

/** A sentence for people about a topic-level error. */
export function topicErrorMessage(topic: string, code: number, brokerMessage?: string | null): string {
  if (brokerMessage) return brokerMessage.includes(topic) ? brokerMessage : `Topic '${topic}': ${brokerMessage}`;
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return `Topic '${topic}' does not exist.`;
  if (code === ErrorCode.TOPIC_AUTHORIZATION_FAILED) return `Not authorized to access topic '${topic}'.`;
  if (code === ErrorCode.INVALID_TOPIC_EXCEPTION) return `'${topic}' is not a valid topic name.`;
  return `Topic '${topic}': ${errorName(code)}`;
}
