/**
 * A broker joining a cluster: its metadata store (etcd, or memory for the in-process cluster),
 * its registration (endpoints, rack) for the life of its session, its candidacy for controller,
 * and the replication that leads and follows partitions as the store says.
 *
 * Start: the store's image is loaded → replication applies every partition this broker holds
 * (logs opened or created; leaders take over, followers start fetching) → the broker registers
 * (others may now place replicas on it and fetch from it) → it campaigns for controller.
 * Stop (controlled shutdown, as Kafka's on SIGTERM): the registration says shuttingDown → the
 * controller moves this broker's leaderships to other in-sync replicas → once none is left that
 * could move (or `controlled.shutdown` time runs out) the broker unregisters and stops replicating.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import type { BrokerConfig, Listener } from '../cluster/config.js';
import { logConfigFor } from '../cluster/topic-config.js';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import { Replication } from '../cluster/replication.js';
import { ReplicaFetchers } from '../cluster/replica-fetcher.js';
import type { PeerSasl, PeerTls } from '../cluster/peer-connection.js';
import { interBrokerTls } from './tls.js';
import { Controller, leaderRebalanceSettings } from '../cluster/controller.js';
import type { TopicManager } from '../cluster/topics.js';
import type { PeerReachability } from '../cluster/peer-connection.js';
import type { BrokerRegistration, MetadataStore } from '../cluster/store/types.js';

export interface ClusterMemberDeps {
  store: MetadataStore;
  config: BrokerConfig;
  replicas: ReplicaManager;
  topics: TopicManager;
  clock: Clock;
  logger: Logger;
  /** Which other brokers can be reached (default: all). */
  peers?: PeerReachability;
  /** How this broker logs in to its peers, when the inter-broker listener is a SASL one (`sasl.ts`'s `interBrokerSasl`). */
  peerSasl?: PeerSasl;
}

export class ClusterMember {
  readonly replication: Replication;
  private readonly controller: Controller;
  private registration: BrokerRegistration | null = null;

  /** TLS to peers when the inter-broker listener is an SSL or SASL_SSL one. */
  readonly peerTls: PeerTls | undefined;

  constructor(private readonly d: ClusterMemberDeps) {
    const raw = d.config.raw;
    const interBroker = raw['inter.broker.listener.name'] ?? d.config.listeners[0]!.name;
    const protocol = d.config.securityProtocols[interBroker];
    this.peerTls = protocol === 'SSL' || protocol === 'SASL_SSL' ? interBrokerTls(raw, interBroker) : undefined;
    const tls = this.peerTls;
    const sasl = d.peerSasl;
    this.replication = new Replication({
      nodeId: d.config.nodeId,
      store: d.store,
      replicas: d.replicas,
      clock: d.clock,
      logger: d.logger.child({ component: 'replication' }),
      settings: { replicaLagTimeMaxMs: positive(raw['replica.lag.time.max.ms'], 30_000), raw },
      logConfigFor: (t) => logConfigFor(d.config, t.configs),
      makeFetchers: (host, endpointOf) =>
        new ReplicaFetchers({ nodeId: d.config.nodeId, host, endpointOf, clock: d.clock, logger: d.logger.child({ component: 'replica-fetcher' }), config: raw, reach: d.peers, ...(tls !== undefined ? { tls } : {}), ...(sasl !== undefined ? { sasl } : {}) }),
      interBrokerListener: interBroker,
      keys: () => d.config.raw,
    });
    this.controller = new Controller({
      store: d.store,
      nodeId: d.config.nodeId,
      clock: d.clock,
      logger: d.logger.child({ component: 'controller' }),
      rebalance: leaderRebalanceSettings(raw),
      uncleanLeaderElection: (topic) => (d.store.topic(topic)?.configs['unclean.leader.election.enable'] ?? raw['unclean.leader.election.enable'] ?? 'false') === 'true',
    });
    d.replicas.hooks = this.replication;
    d.topics.cluster = { store: d.store, random: Math.random };
  }

  /** Applies the store's state, registers with `endpoints`, and campaigns for controller. */
  async start(endpoints: Listener[]): Promise<void> {
    await this.replication.start();
    this.registration = {
      nodeId: this.d.config.nodeId,
      rack: this.d.config.raw['broker.rack'] ?? null,
      endpoints: endpoints.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: this.d.config.securityProtocols[l.name] ?? 'PLAINTEXT' })),
      incarnationId: randomBytes(16).toString('base64url'),
      shuttingDown: false,
    };
    await this.d.store.registerBroker(this.registration);
    this.controller.start();
    this.d.store.campaign(this.d.config.nodeId);
  }

  /**
   * Controlled shutdown (unless `controlled.shutdown.enable=false`): waits up to `timeoutMs` for
   * this broker's leaderships to move, then leaves the cluster.
   */
  async stop(timeoutMs: number): Promise<void> {
    const { store, config, clock, logger } = this.d;
    const controlled = (config.raw['controlled.shutdown.enable'] ?? 'true') !== 'false';
    if (controlled && timeoutMs > 0 && this.registration !== null && store.connected) {
      try {
        await store.updateRegistration({ ...this.registration, shuttingDown: true });
        const deadline = clock.now() + timeoutMs;
        while (clock.now() < deadline && this.movableLeaderships() > 0) await new Promise((r) => setTimeout(r, 50));
        const left = this.movableLeaderships();
        if (left > 0) logger.warn('controlled shutdown timed out: some leaderships did not move', { partitions: left });
        else logger.info('controlled shutdown: leaderships moved');
      } catch (err) {
        logger.warn('controlled shutdown could not complete; stopping anyway', { err });
      }
    }
    await store.resign(config.nodeId).catch(() => undefined);
    await this.controller.stop();
    await this.replication.stop();
    if (store.connected) await store.unregisterBroker(config.nodeId).catch(() => undefined);
    await store.close();
  }

  /** Partitions this broker leads that another live, in-sync replica could take over. */
  private movableLeaderships(): number {
    const { store, config } = this.d;
    const live = new Set(store.brokers().filter((b) => !b.shuttingDown && b.nodeId !== config.nodeId).map((b) => b.nodeId));
    let n = 0;
    for (const { topic, partition } of this.replication.leaderships()) {
      const s = store.partition(topic, partition);
      if (s !== undefined && s.leader === config.nodeId && s.isr.some((r) => live.has(r))) n++;
    }
    return n;
  }
}

function positive(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
