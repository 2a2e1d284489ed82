/**
 * A Samsa broker: as a server (`samsa server start`) or embedded in a Node process
 * (`await Broker.start({ port: 0 })`). Start-up order: config → log dirs and meta.properties →
 * metadata store → partition logs (recovery) → listeners → background tasks. Stop is the reverse.
 */
import type { Server, Socket } from 'node:net';
import { openListeners, refuseConnection, type DelayedCloses } from './listeners.js';
import { keyFor, listenerTlsOptions } from './tls.js';
import { interBrokerSasl, saslConfig, type SaslConfig } from './sasl.js';
import { ScramCredentials } from '../cluster/scram-credentials.js';
import { GroupConfigs } from '../cluster/group-configs.js';
import { ClientMetricsResources } from '../cluster/client-metrics.js';
import { ClientTelemetry } from './client-telemetry.js';
import { FeatureLevels } from '../cluster/features.js';
import type { ScramCredential, ScramMechanism } from '../protocol/sasl-scram.js';
import { SslPrincipalMapper, tlsPrincipal } from './ssl-principal.js';
import { Authorizer, authorizerSettings } from './authorizer.js';
import type { TLSSocket, TlsOptions } from 'node:tls';

/** What a listener needs beyond a socket: TLS for SSL and SASL_SSL, the SASL settings for SASL_*. */
interface ListenerSecurity {
  tls?: TlsOptions;
  sasl?: SaslConfig;
  /** An SSL listener asking for client certificates: how their subjects become principals. */
  principals?: SslPrincipalMapper;
}
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SystemClock, type Clock } from '../platform/clock.js';
import { createLogger, parseLogSettings, type Logger } from '../util/logger.js';
import { BROKER_DEFAULTS, buildBrokerConfig, intProperty, readPropertiesFile, type BrokerConfig, type Listener } from '../cluster/config.js';
import { LocalMetadataStore } from '../cluster/metadata-store.js';
import { ProducerIdManager } from '../cluster/producer-ids.js';
import { ReplicaManager } from '../cluster/replica-manager.js';
import { TopicManager } from '../cluster/topics.js';
import { GroupCoordinator } from '../coordinator/group/coordinator.js';
import { groupCoordinatorConfig } from '../coordinator/group/config.js';
import { LogOffsetsTopic, OFFSETS_TOPIC } from '../coordinator/group/offsets-topic.js';
import { groupPartition } from '../coordinator/group/records.js';
import { TxnCoordinator } from '../coordinator/txn/coordinator.js';
import { txnCoordinatorConfig } from '../coordinator/txn/config.js';
import { shareConfig } from '../coordinator/share/config.js';
import { LogTxnStateTopic, ReplicaMarkerWriter, TXN_STATE_TOPIC } from '../coordinator/txn/state-topic.js';
import { TxnMarkerChannels } from '../cluster/txn-marker-channel.js';
import { TxnCoordinatorChannels } from '../cluster/txn-coordinator-channel.js';
import { TxnPartitions } from './txn-partitions.js';
import { shareCluster, type ShareCluster } from './share-cluster.js';
import { SHARE_STATE_TOPIC } from '../coordinator/share/state-store.js';
import { LogManager, ensureMetaProperties, formattedClusterId } from '../storage/log-manager.js';
import { lockLogDir } from '../storage/dir-lock.js';
import type { OpenLogFile } from '../storage/file.js';
import { logConfigFor } from '../cluster/topic-config.js';
import { DEFAULT_SCOPE, DynamicBrokerConfig } from '../cluster/dynamic-config.js';
import type { MetadataStore } from '../cluster/store/types.js';
import type { PeerReachability } from '../cluster/peer-connection.js';
import { ClusterMember } from './cluster-member.js';
import { singleBrokerView, storeView, type ClusterView } from './cluster-view.js';
import { Connection } from './connection.js';
import { logConfigNotes } from './config-report.js';
import { buildHandlers } from './handlers/index.js';
import type { BrokerContext, Handler, KeyedRecordStore } from './handler.js';
import { ClientQuotaManager, rateWindowsFrom } from './client-quota-manager.js';
import { ConnectionQuotas } from './connection-quotas.js';
import { FETCH_SESSION_CACHE_SLOTS_DEFAULT, FetchSessionCache } from './fetch-session.js';
import { MetricsService } from './metrics/metrics-server.js';
import { checkBrokerServices, startBrokerServices, stopBrokerServices, type RunningService } from './services.js';

export interface BrokerOptions<C extends Clock = Clock> {
  /** Port for the PLAINTEXT listener; 0 picks a free one. Overrides `listeners`. */
  port?: number;
  /** Host to bind and advertise with `port` (default 127.0.0.1). */
  host?: string;
  /** Data directory (`log.dirs`); when absent a fresh temporary directory is used and removed on stop. */
  dataDir?: string;
  /** Kafka `server.properties` keys, e.g. `{ 'num.partitions': '3' }`. */
  config?: Record<string, string>;
  /** A clock to drive time-based behaviour in tests: with a `ManualClock`, `broker.clock.advance(ms)` moves time. */
  clock?: C;
  logger?: Logger;
  /**
   * The disk seam: how the logs open their segment files. Tests pass a wrapper that counts or
   * fails writes and syncs; the default is Node's file handles.
   */
  disk?: OpenLogFile;
  /**
   * Cluster metadata to join instead of keeping a single broker's own (the in-process cluster
   * passes a memory store view; a server joins etcd through `metadata.etcd.endpoints`).
   */
  metadata?: { store: MetadataStore; clusterId: string };
  /**
   * In a cluster, which other brokers this one can reach (default: all): its replica fetchers
   * connect only to peers it allows, and end their connections to a peer it stops allowing. The
   * in-process cluster cuts the network between brokers with it.
   */
  peers?: PeerReachability;
}

/** Opens the etcd store named by `metadata.etcd.endpoints` (loaded only for a cluster). */
async function openEtcdStore(config: BrokerConfig, localClusterId: string | undefined, logger: Logger): Promise<{ store: MetadataStore; clusterId: string }> {
  const { EtcdMetadataStore } = await import('../cluster/store/etcd-store.js');
  const endpoints = config.raw['metadata.etcd.endpoints']!.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const store = await EtcdMetadataStore.open({
    endpoints,
    prefix: config.raw['metadata.etcd.prefix'] ?? '/samsa',
    sessionTimeoutMs: Number(config.raw['broker.session.timeout.ms'] ?? 9000),
    clusterId: localClusterId,
    logger: logger.child({ component: 'etcd' }),
  });
  return { store, clusterId: store.clusterId };
}

/** `C` is the clock's type, so that a broker started with a `ManualClock` offers `broker.clock.advance(ms)`. */
export class Broker<C extends Clock = Clock> {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly boundPorts = new Map<string, number>();
  private readonly tlsUnwatchers: Array<() => void> = [];
  /** Each listener's TLS options and SASL settings (none for PLAINTEXT), checked at start. */
  private security = new Map<string, ListenerSecurity>();
  private stopped = false;
  /** Releases the log directories' locks, once everything is closed. */
  private unlocks: Array<() => Promise<void>> = [];
  /** HTTP services started with the broker (services.ts), by their key, e.g. `console.listener`. */
  private services = new Map<string, RunningService>();
  private signalStop!: () => void;
  private context!: BrokerContext;
  private handlers!: Map<number, Handler>;
  /** Set when the broker is part of a cluster. */
  private member: ClusterMember | null = null;
  private producerIdStore!: { allocateProducerIdBlock(size: number): Promise<number> };
  /** Quota records, client quotas and connection limits (from the local store or the cluster's). */
  private keyedRecords!: KeyedRecordStore;
  /** Per-group configs over the group.* keys: one view, shared by the group coordinator and the handlers. */
  private groupConfigs!: GroupConfigs;
  private quotas!: ClientQuotaManager;
  private connectionQuotas!: ConnectionQuotas;
  /** Connections over an ip's connection_creation_rate, closed once their throttle time is up. */
  private readonly delayedCloses: DelayedCloses = new Set();
  private markerChannels: TxnMarkerChannels | null = null;
  private txnChannels: TxnCoordinatorChannels | null = null;
  private txnPartitions!: TxnPartitions;
  private shareState: ShareCluster | null = null;
  private scramCache: ScramCredentials | null = null;
  private telemetryCache: ClientTelemetry | null = null;
  /** Incremental fetch sessions (KIP-227); made with the listeners, from max.incremental.fetch.session.cache.slots. */
  private sessionCache!: FetchSessionCache;
  private readonly scramLookup = (user: string, m: ScramMechanism): ScramCredential | undefined => this.scram.get(user, m);
  private authorizer: Authorizer | null = null;
  /** The Prometheus endpoint (`metrics.listener`), null when not asked for. */
  private metricsService: MetricsService | null = null;

  private constructor(
    readonly config: BrokerConfig,
    readonly clock: C,
    readonly logger: Logger,
    private readonly tempDir: string | null,
    private readonly logs: LogManager,
    private readonly store: { close(): Promise<void> },
    readonly topics: TopicManager,
    readonly clusterId: string,
    readonly groups: GroupCoordinator,
    readonly txn: TxnCoordinator,
  ) {}

  static async start<C extends Clock = Clock>(opts: BrokerOptions<C> = {}): Promise<Broker<C>> {
    const given: Record<string, string> = { ...(opts.config ?? {}) };
    const tempDir = opts.dataDir === undefined && given['log.dirs'] === undefined && given['log.dir'] === undefined ? await mkdtemp(join(tmpdir(), 'samsa-')) : null;
    if (opts.dataDir !== undefined) given['log.dirs'] = opts.dataDir;
    else if (tempDir !== null) given['log.dirs'] = tempDir;
    if (opts.port !== undefined) {
      const host = opts.host ?? '127.0.0.1';
      given.listeners = `PLAINTEXT://${host.includes(':') ? `[${host}]` : host}:${opts.port}`;
      if (opts.config?.['advertised.listeners'] === undefined) delete given['advertised.listeners'];
    }
    const config = buildBrokerConfig(given);
    // Share groups start at their first request; their settings are checked now, as Kafka checks them at start.
    shareConfig(config.raw);
    checkBrokerServices(config);
    // Without a clock of the caller's, C is its default (Clock), which SystemClock is.
    const clock = opts.clock ?? (new SystemClock() as Clock as C);
    const logger = opts.logger ?? createLogger();
    logConfigNotes(config.given, logger);
    for (const l of config.controllerListeners)
      logger.info(`listener ${l.name} is in controller.listener.names and is not opened: a single Samsa broker runs without a KRaft controller`, { listener: l.name });
    // SSL listeners' keys are checked before anything opens: a bad one is a sentence, not a half-started broker.
    // Read once: the listeners open with what was checked here.
    const security = new Map<string, ListenerSecurity>();
    for (const l of config.listeners) {
      const protocol = config.securityProtocols[l.name];
      const tls = protocol === 'SSL' || protocol === 'SASL_SSL' ? listenerTlsOptions(config.raw, l.name) : undefined;
      security.set(l.name, {
        ...(tls !== undefined ? { tls } : {}),
        ...(tls?.requestCert === true ? { principals: SslPrincipalMapper.fromRules(keyFor(config.raw, l.name, 'ssl.principal.mapping.rules').value) } : {}),
        ...(protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL' ? { sasl: saslConfig(config.raw, l.name) } : {}),
      });
      if (security.get(l.name)!.sasl?.oauth?.secured === false)
        logger.warn(`listener ${l.name} accepts OAUTHBEARER tokens without checking any signature (Kafka's unsecured default, for development only); set sasl.oauthbearer.jwks.endpoint.url to validate them`, { listener: l.name });
    }
    const authorization = authorizerSettings(config.raw);
    const interBroker = config.raw['inter.broker.listener.name'] ?? config.listeners[0]!.name;
    // In a cluster, how this broker logs in to its peers on a SASL inter-broker listener: checked before anything opens.
    const interBrokerSaslConfig = security.get(interBroker)?.sasl;
    const peerSasl = (config.raw['metadata.etcd.endpoints'] || opts.metadata !== undefined) && interBrokerSaslConfig !== undefined
      ? interBrokerSasl(config.raw, interBroker, interBrokerSaslConfig.mechanisms) : undefined;
    const unlocks: Array<() => Promise<void>> = [];
    let groups: GroupCoordinator | undefined;
    let txn: TxnCoordinator | undefined;
    let clusterStore: MetadataStore | null = null;
    let metricsService: MetricsService | null = null;
    let started: Broker<C>;
    try {
      // Open before the logs load, so a long recovery is visible as alive but not ready.
      metricsService = await MetricsService.open(config.raw, logger);
      config.logDirs = config.logDirs.map((d) => resolve(d));
      for (const d of config.logDirs) await mkdir(d, { recursive: true });
      for (const d of config.logDirs) unlocks.push(await lockLogDir(d));
      // Dirs formatted by kafka-storage.sh name the cluster; unformatted ones join it (or a new one).
      // A cluster's id is the one its metadata store agreed; a lone broker's is its log dirs'.
      const formatted = await formattedClusterId(config.logDirs);
      const joined = opts.metadata ?? (config.raw['metadata.etcd.endpoints'] ? await openEtcdStore(config, formatted, logger) : null);
      clusterStore = joined?.store ?? null;
      const clusterId = await ensureMetaProperties(config.logDirs[0]!, config.nodeId, joined?.clusterId ?? formatted);
      for (const d of config.logDirs.slice(1)) await ensureMetaProperties(d, config.nodeId, clusterId);
      const store = joined === null ? await LocalMetadataStore.open(config.logDirs[0]!, logger) : joined.store;
      const topicStore = joined === null ? (store as LocalMetadataStore) : readOnlyTopics(joined.store);
      // Dynamic broker configs count from the start: logs open with the defaults they set.
      const dynamicConfig = new DynamicBrokerConfig(config, store);
      const dynamicProblem = dynamicConfig.apply();
      if (dynamicProblem !== null) logger.warn('stored dynamic broker configs are not valid with this server.properties; using the static values', { error: dynamicProblem });
      const producerIdExpirationMs = Number(config.raw['producer.id.expiration.ms'] ?? 86_400_000);
      const logs = await LogManager.open({
        logDirs: config.logDirs, clock, logger, defaultConfig: logConfigFor(config, {}), openFile: opts.disk,
        producerIdExpirationMs: Number.isFinite(producerIdExpirationMs) && producerIdExpirationMs > 0 ? producerIdExpirationMs : undefined,
      });
      const replicas = new ReplicaManager(logs, clock, logger);
      const topics = new TopicManager(topicStore, replicas, config, logger);
      // In a cluster, dynamic values set through any broker (the cluster default, or this broker's) apply here too.
      clusterStore?.onChange((e) => {
        if (e.type !== 'broker-config' || (e.scope !== DEFAULT_SCOPE && e.scope !== dynamicConfig.nodeScope)) return;
        const problem = dynamicConfig.apply();
        if (problem !== null) logger.warn('dynamic broker configs from the cluster are not valid with this server.properties; using the static values', { error: problem });
        topics.reapplyLogConfigs();
      });
      const member = clusterStore === null ? null : new ClusterMember({ store: clusterStore, config, replicas, topics, clock, logger, peers: opts.peers, ...(peerSasl !== undefined ? { peerSasl } : {}) });
      await topics.openAll();
      // Groups load from __consumer_offsets in the background; their requests wait (LOAD_IN_PROGRESS) meanwhile.
      const internalRf = (key: string): number => Number(config.raw[key] ?? 3);
      // In a cluster each coordinator serves the partitions of its internal topic this broker leads.
      const clustered = member !== null;
      const groupConfig = groupCoordinatorConfig(config.raw);
      const groupConfigs = new GroupConfigs(store, (key) => dynamicConfig.resolve(key).value);
      groups = new GroupCoordinator({
        config: groupConfig, clock, logger, followsLeadership: clustered, topics, groupConfigs, share: shareConfig(config.raw),
        topic: new LogOffsetsTopic(topics, replicas, internalRf('offsets.topic.replication.factor'), groupConfig.offsetsCommitTimeoutMs),
      });
      groups.start();
      const coordinator = groups;
      topics.onDeleted((name) => void coordinator.onTopicDeleted(name));
      // Transactions load from __transaction_state likewise; markers on __consumer_offsets complete transactional offsets.
      // In a cluster, markers for partitions led elsewhere go to their leaders over WriteTxnMarkers.
      // Partition leaders verify transactional batches with coordinators elsewhere over AddPartitionsToTxn v5 (KIP-890).
      const peerOpts = member === null ? null : {
        nodeId: config.nodeId, endpointOf: (id: number) => member.replication.endpointOf(id), reach: opts.peers,
        ...(member.peerTls !== undefined ? { tls: member.peerTls } : {}),
        ...(peerSasl !== undefined ? { sasl: peerSasl } : {}),
        timeoutMs: Number(config.raw['request.timeout.ms'] ?? 30_000),
      };
      const markerChannels = peerOpts === null ? null : new TxnMarkerChannels({ ...peerOpts, logger: logger.child({ component: 'txn-markers' }) });
      const leaderOf = (t: string, p: number) => clusterStore?.partition(t, p)?.leader ?? null;
      const remoteMarkers = markerChannels === null ? null : { nodeId: config.nodeId, channels: markerChannels, leaderOf };
      txn = new TxnCoordinator({
        followsLeadership: clustered,
        config: txnCoordinatorConfig(config.raw),
        clock,
        logger,
        log: new LogTxnStateTopic(topics, replicas, internalRf('transaction.state.log.replication.factor')),
        markers: new ReplicaMarkerWriter(replicas, clock, (topic, partition, m) => {
          if (topic === OFFSETS_TOPIC) coordinator.completeTxn(partition, m.producerId, m.commit);
        }, remoteMarkers),
        producerIds: new ProducerIdManager(store),
        offsetsPartitionFor: (groupId) => coordinator.partitionFor(groupId) ?? groupPartition(groupId, groupConfig.offsetsTopicPartitions),
      });
      txn.start();
      const txnCoordinator = txn;
      topics.onDeleted((name) => txnCoordinator.onTopicDeleted(name));
      // Share-partition leaders reach share coordinators on other brokers over keys 83–87 (KIP-932).
      const shareState = member === null || peerOpts === null ? null : shareCluster({ raw: config.raw, topics, replicas, store: clusterStore!, clock, logger, peers: peerOpts });
      // Leaderships of the internal topics' partitions move the coordinators (before replication starts).
      member?.replication.onLeadership((topic, partition, leaderEpoch) => {
        const c = topic === OFFSETS_TOPIC ? coordinator : topic === TXN_STATE_TOPIC ? txnCoordinator : topic === SHARE_STATE_TOPIC ? shareState?.coordinator ?? null : null;
        if (c === null) return;
        if (leaderEpoch >= 0) c.onElection(partition, leaderEpoch);
        else c.onResignation(partition);
      });
      const broker = new Broker(config, clock, logger, tempDir, logs, store, topics, clusterId, groups, txn);
      broker.unlocks = unlocks;
      broker.metricsService = metricsService;
      broker.security = security;
      broker.member = member;
      broker.producerIdStore = store;
      broker.keyedRecords = store;
      broker.groupConfigs = groupConfigs;
      const windows = rateWindowsFrom(config.raw);
      broker.quotas = new ClientQuotaManager(store, windows);
      broker.connectionQuotas = new ConnectionQuotas({ config, valueInForce: (k) => dynamicConfig.valueInForce(k), quotas: store, windows });
      await broker.connectionQuotas.resolveOverrides();
      broker.markerChannels = markerChannels;
      broker.shareState = shareState;
      const txnChannels = peerOpts === null ? null : new TxnCoordinatorChannels({ ...peerOpts, logger: logger.child({ component: 'txn-verification' }) });
      broker.txnChannels = txnChannels;
      broker.txnPartitions = new TxnPartitions(txn, txnChannels === null ? null : { nodeId: config.nodeId, channels: txnChannels, leaderOf },
        () => dynamicConfig.resolve('transaction.partition.verification.enable').value !== 'false');
      // ACLs live in the metadata store: the single broker's log, or etcd, shared by the cluster.
      broker.authorizer = authorization === null ? null : new Authorizer(store, authorization);
      await broker.listen(replicas, dynamicConfig);
      if (member !== null) await member.start(config.advertisedListeners.map((l) => broker.context.advertised(l.name)));
      metricsService?.attach({ context: broker.context, connections: broker.connectionQuotas, peers: peerOpts });
      logs.startHighWatermarkCheckpoints(Number(config.raw['replica.high.watermark.checkpoint.interval.ms'] ?? 5000));
      logs.startBackgroundTasks({
        retentionCheckIntervalMs: config.retentionCheckIntervalMs,
        logCleanerEnable: (config.raw['log.cleaner.enable'] ?? 'true') !== 'false',
        logCleanerBackoffMs: Number(config.raw['log.cleaner.backoff.ms'] ?? 15000),
      });
      started = broker;
    } catch (err) {
      await metricsService?.close();
      await clusterStore?.close().catch(() => undefined);
      await txn?.stop();
      await groups?.stop();
      for (const unlock of unlocks) await unlock();
      if (tempDir !== null) await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
    // Last, once serving: a service is a client of the broker. One that cannot start stops the broker.
    const broker = started;
    broker.services = await startBrokerServices(config, broker.bootstrap, logger).catch(async (err: unknown) => {
      await broker.stop();
      throw err;
    });
    return broker;
  }

  private async listen(replicas: ReplicaManager, dynamicConfig: DynamicBrokerConfig): Promise<void> {
    // Listeners, not a promise: a long poll racing a never-settled promise would leave a reaction on it per fetch.
    const stopListeners = new Set<() => void>();
    let stopped = false;
    this.signalStop = () => {
      stopped = true;
      for (const l of stopListeners) l();
      stopListeners.clear();
    };
    const self = this;
    this.handlers = buildHandlers();
    const slots = this.config.raw['max.incremental.fetch.session.cache.slots'];
    this.sessionCache = new FetchSessionCache({ maxSessions: slots === undefined ? FETCH_SESSION_CACHE_SLOTS_DEFAULT : intProperty(this.config.raw, 'max.incremental.fetch.session.cache.slots', 0) });
    this.context = {
      config: this.config,
      nodeId: this.config.nodeId,
      clusterId: this.clusterId,
      clock: this.clock,
      logger: this.logger,
      topics: this.topics,
      replicas,
      dynamicConfig,
      groups: this.groups,
      txn: this.txn,
      txnPartitions: this.txnPartitions,
      ...(this.shareState !== null ? { shareState: { coordinator: this.shareState.coordinator, persister: this.shareState.persister } } : {}),
      producerIds: new ProducerIdManager(this.producerIdStore),
      keyedRecords: this.keyedRecords,
      quotas: this.quotas,
      fetchSessions: this.sessionCache,
      replication: this.member?.replication ?? null,
      authorizer: this.authorizer,
      metadataStore: this.member === null ? null : this.clusterStoreOf(),
      scram: this.scram,
      features: new FeatureLevels(this.keyedRecords, this.config.nodeId),
      groupConfigs: this.groupConfigs,
      telemetry: this.telemetry,
      ...(this.metricsService !== null ? { metrics: this.metricsService.counters } : {}),
      view: null as unknown as ClusterView,
      dropProduceResponse: dropEvery(this.config.raw['samsa.test.drop.produce.responses.every']),
      onStopping(listener: () => void): () => void {
        if (stopped) {
          queueMicrotask(listener);
          return () => undefined;
        }
        stopListeners.add(listener);
        return () => stopListeners.delete(listener);
      },
      advertised(listenerName: string): Listener {
        const l = self.config.advertisedListeners.find((a) => a.name === listenerName) ?? self.config.advertisedListeners[0]!;
        // A listener bound to port 0 advertises the port it actually got.
        const port = l.port === 0 ? (self.boundPorts.get(l.name) ?? 0) : l.port;
        const host = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? 'localhost' : l.host;
        return { name: l.name, host, port };
      },
    };
    const store = this.member === null ? null : this.clusterStoreOf();
    (this.context as { view: ClusterView }).view =
      store === null ? singleBrokerView(this.config.nodeId, (name) => this.context.advertised(name), this.config.raw['broker.rack'] ?? null) : storeView(store);
    const { servers, ports } = await openListeners(this.config.listeners, {
      raw: this.config.raw, logger: this.logger, unwatchers: this.tlsUnwatchers,
      tlsOf: (name) => this.security.get(name)?.tls, accept: (socket, name) => this.accept(socket, name),
    });
    for (const [name, port] of ports) this.boundPorts.set(name, port);
    this.servers.push(...servers);
  }

  private accept(socket: Socket, listenerName: string): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? '';
    const admission = this.connectionQuotas.admit(listenerName, address, this.clock.now());
    if (!admission.accepted) {
      refuseConnection(socket, listenerName, admission.reason, admission.closeAfterMs, this.logger, this.delayedCloses);
      return;
    }
    const { sasl, principals } = this.security.get(listenerName) ?? {};
    const certPrincipal = principals === undefined ? null : tlsPrincipal(socket as TLSSocket, principals);
    if (certPrincipal instanceof Error) {
      // As Kafka: an untrusted certificate, or one no mapping rule applies to, fails the authentication.
      this.logger.warn('closing connection: the client certificate is refused', { listener: listenerName, remote: socket.remoteAddress, error: certPrincipal.message });
      this.connectionQuotas.release(listenerName, address);
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, {
      ...(certPrincipal !== null ? { tlsPrincipal: certPrincipal } : {}),
      broker: this.context,
      handlers: this.handlers,
      listenerName,
      onClose: (c) => {
        if (this.connections.delete(c)) this.connectionQuotas.release(listenerName, address);
      },
      ...(sasl !== undefined ? { sasl, scramCredentials: this.scramLookup } : {}),
    });
    this.connections.add(conn);
  }

  /** KIP-714 client telemetry: subscriptions from the client-metrics resources, and the pushes received. */
  get telemetry(): ClientTelemetry {
    const maxBytes = Number(this.config.raw['telemetry.max.bytes'] ?? 1_048_576);
    return (this.telemetryCache ??= new ClientTelemetry(new ClientMetricsResources(this.keyedRecords), Number.isInteger(maxBytes) && maxBytes > 0 ? maxBytes : 1_048_576));
  }

  /** SCRAM credentials in the metadata (the local store, or the cluster's). */
  private get scram(): ScramCredentials {
    return (this.scramCache ??= new ScramCredentials(this.keyedRecords));
  }

  /** Connection limits and counts (for tests and tools). */
  get connectionLimits(): ConnectionQuotas {
    return this.connectionQuotas;
  }

  /** Client quotas in force (for tests and tools). */
  get clientQuotas(): ClientQuotaManager {
    return this.quotas;
  }

  /** The incremental fetch sessions this broker holds (for tests and tools). */
  get fetchSessions(): FetchSessionCache {
    return this.sessionCache;
  }

  private clusterStoreOf(): MetadataStore {
    return this.store as unknown as MetadataStore;
  }

  /** The broker's node id. */
  get nodeId(): number {
    return this.config.nodeId;
  }

  /** The port the first listener is bound to. */
  get port(): number {
    return this.boundPorts.get(this.config.listeners[0]!.name) ?? 0;
  }

  /** The port a listener is bound to, by its name (e.g. 'SSL'); 0 when there is no such listener. */
  listenerPort(name: string): number {
    return this.boundPorts.get(name) ?? 0;
  }

  /** Where a service started with the broker is served (e.g. `serviceUrl('console.listener')`), or null. */
  serviceUrl(key: string): string | null {
    return this.services.get(key)?.url ?? null;
  }

  /** `host:port` to hand to a client as its bootstrap servers. */
  get bootstrap(): string {
    const l = this.context.advertised(this.config.listeners[0]!.name);
    return `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
  }

  get dataDir(): string {
    return this.config.logDirs[0]!;
  }

  /**
   * Stops listening, ends every connection, flushes and closes the logs. In a cluster this is a
   * controlled shutdown (leaderships move first) unless `{ controlled: false }`.
   */
  async stop(opts: { controlled?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.metricsService?.beginStop();
    // In a cluster, leaderships move to other in-sync replicas while this broker still serves.
    const timeout = opts.controlled === false ? 0 : Number(this.config.raw['samsa.controlled.shutdown.timeout.ms'] ?? 30_000);
    await stopBrokerServices(this.services);
    if (this.member !== null) await this.member.stop(timeout);
    this.stopped = true;
    for (const unwatch of this.tlsUnwatchers.splice(0)) unwatch();
    this.signalStop();
    const listenersClosed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    // A server's close callback waits for its open connections, so end them only after it stopped accepting.
    for (const c of [...this.connections]) c.close();
    for (const d of this.delayedCloses) {
      clearTimeout(d.timer);
      d.socket.destroy();
    }
    this.delayedCloses.clear();
    await listenersClosed;
    // Parked joins and syncs are answered and writes in flight finish before the logs close.
    // Markers in flight may write to __consumer_offsets: transactions stop before groups.
    const txnStopped = this.txn.stop();
    // Markers waiting on other brokers fail now rather than at their timeout (the next coordinator retries them).
    this.markerChannels?.close();
    this.txnChannels?.close();
    this.shareState?.channels.close();
    await this.shareState?.coordinator.stop();
    await txnStopped;
    await this.groups.stop();
    await this.logs.close();
    if (this.member === null) await this.store.close();
    for (const unlock of this.unlocks) await unlock();
    await this.metricsService?.close();
    if (this.tempDir !== null) await rm(this.tempDir, { recursive: true, force: true });
  }

  /** The Prometheus endpoint's URL (`http://host:port/metrics`), or null without `metrics.listener`. */
  get metricsUrl(): string | null {
    return this.metricsService?.url ?? null;
  }
}

/** The topic reads of a cluster's store, for the TopicManager (its writes go through `topics.cluster`). */
function readOnlyTopics(store: MetadataStore): ConstructorParameters<typeof TopicManager>[0] {
  const refuse = (): Promise<void> => Promise.reject(new Error('in a cluster, topics change through the metadata store'));
  return { topic: (n) => store.topic(n), topics: () => store.topics(), topicById: (id) => store.topicById(id), putTopic: refuse, deleteTopic: refuse };
}

/** Starts a broker from a `server.properties` file and overrides, stopping cleanly on SIGTERM/SIGINT. */
export async function startServer(configFile?: string, overrides: Record<string, string> = {}): Promise<Broker> {
  const fromFile = configFile !== undefined ? readPropertiesFile(configFile) : {};
  // The server logs at info unless SAMSA_LOG_LEVEL says otherwise; a bad setting stops the start.
  const logger = createLogger(parseLogSettings(process.env, { level: 'info' }));
  // A server keeps its data where log.dirs says (./data by default), never in a temp dir.
  const given = { ...fromFile, ...overrides };
  const config = given['log.dirs'] === undefined && given['log.dir'] === undefined ? { 'log.dirs': BROKER_DEFAULTS['log.dirs']!, ...given } : given;
  const broker = await Broker.start({ config, logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    broker.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return broker;
}

/** The test-only produce-response dropper: every Nth call answers true; undefined when unset. */
function dropEvery(setting: string | undefined): (() => boolean) | undefined {
  const every = Number(setting ?? 0);
  if (!Number.isInteger(every) || every <= 0) return undefined;
  let n = 0;
  return () => ++n % every === 0;
}
