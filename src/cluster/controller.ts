/**
 * The cluster controller: while the store names this broker controller, it keeps every
 * partition's leader and ISR within Kafka's rules, as a reconcile loop (watch, compare, write
 * back with a compare-and-swap) that is safe to restart at any point:
 * - a leader that is gone or shutting down is replaced by the first replica in the ISR that is
 *   active; with none, the partition goes offline (leader -1, the ISR kept as its last member),
 *   unless unclean.leader.election.enable lets any active replica lead;
 * - gone and shutting-down brokers leave the ISRs they are in, never emptying one;
 * - an offline partition gets a leader as soon as one of its ISR is active again;
 * - a broker that comes back as a new incarnation (restarted while its registration stayed) is
 *   first treated as gone once, so that it leads nothing on the strength of a log it may have lost;
 * - every leader.imbalance.check.interval.seconds, leaderships go back to preferred replicas
 *   (auto.leader.rebalance.enable) on brokers whose share of lost preferred leaderships is
 *   above leader.imbalance.per.broker.percentage.
 */
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Logger } from '../util/logger.js';
import { partitionChange, runBounded, writePartition, writePartitionsTogether } from './partition-changes.js';
import { brokerMap, isActive } from './placement.js';
import { type BrokerRegistration, type MetadataEvent, type MetadataStore, type PartitionChange, type PartitionState, MetadataUnavailableError } from './store/types.js';

export { leadershipsOf } from './partition-changes.js';

/** Partition writes in flight at once during a reconcile pass: enough to hide store round trips, few enough not to flood it. */
export const CONTROLLER_WRITES_IN_FLIGHT_MAX = 32;

export interface LeaderRebalanceSettings {
  /** auto.leader.rebalance.enable (Kafka's default true). */
  autoLeaderRebalanceEnable: boolean;
  /** leader.imbalance.check.interval.seconds (300). */
  leaderImbalanceCheckIntervalSeconds: number;
  /** leader.imbalance.per.broker.percentage (10); 0 rebalances every partition off its preferred leader, as Kafka's KRaft controller does. */
  leaderImbalancePerBrokerPercentage: number;
}

export const DEFAULT_LEADER_REBALANCE: LeaderRebalanceSettings = {
  autoLeaderRebalanceEnable: true,
  leaderImbalanceCheckIntervalSeconds: 300,
  leaderImbalancePerBrokerPercentage: 10,
};

/** The rebalance settings from broker config keys (server.properties names), defaults where absent. */
export function leaderRebalanceSettings(raw: Readonly<Record<string, string>>): LeaderRebalanceSettings {
  const num = (key: string, dflt: number): number => {
    const v = raw[key];
    const n = v === undefined ? NaN : Number(v.trim());
    return Number.isFinite(n) ? n : dflt;
  };
  const enable = raw['auto.leader.rebalance.enable'];
  return {
    autoLeaderRebalanceEnable: enable === undefined ? true : enable.trim().toLowerCase() === 'true',
    leaderImbalanceCheckIntervalSeconds: num('leader.imbalance.check.interval.seconds', 300),
    leaderImbalancePerBrokerPercentage: num('leader.imbalance.per.broker.percentage', 10),
  };
}

export interface ControllerOptions {
  store: MetadataStore;
  nodeId: number;
  clock: Clock;
  logger: Logger;
  /** unclean.leader.election.enable in force for a topic (its override, else the broker's). */
  uncleanLeaderElection: (topic: string) => boolean;
  rebalance?: Partial<LeaderRebalanceSettings>;
}

type Key = string;
const keyOf = (topic: string, partition: number): Key => `${partition}:${topic}`;
function parseKey(k: Key): { topic: string; partition: number } {
  const i = k.indexOf(':');
  return { topic: k.slice(i + 1), partition: Number(k.slice(0, i)) };
}

export class Controller {
  private readonly store: MetadataStore;
  private readonly logger: Logger;
  private readonly rebalance: LeaderRebalanceSettings;
  private active = false;
  private unsubscribe: (() => void) | null = null;
  /** Work: every partition, or these. */
  private allDirty = false;
  private readonly dirty = new Set<Key>();
  private running: Promise<void> | null = null;
  private rebalanceTimer: TimerHandle | null = null;
  /** The incarnation each broker had when last seen, to tell a restarted broker from one that stayed. */
  private readonly incarnations = new Map<number, string>();
  /** Set when a write found the store unreachable: work waits for the 'connection' event instead of spinning. */
  private waitingForStore = false;

  constructor(private readonly opts: ControllerOptions) {
    this.store = opts.store;
    this.logger = opts.logger.child({ component: 'controller', nodeId: opts.nodeId });
    this.rebalance = { ...DEFAULT_LEADER_REBALANCE, ...opts.rebalance };
  }

  /** Starts watching the store; acts whenever (and while) this broker is the controller. */
  start(): void {
    if (this.unsubscribe !== null) return;
    this.unsubscribe = this.store.onChange((e) => this.onEvent(e));
    this.checkRole();
  }

  /** Stops acting and waits for the writes in flight. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.deactivate();
    await this.running;
  }

  /** True while this broker acts as controller. */
  get isActive(): boolean {
    return this.active;
  }

  /** Resolves once no reconcile work is pending or running (tests, and a broker waiting for its own changes). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private onEvent(e: MetadataEvent): void {
    switch (e.type) {
      case 'controller':
        this.checkRole();
        return;
      case 'brokers':
      case 'broker-config':
        this.markAll();
        return;
      case 'connection':
        if (e.connected) {
          this.waitingForStore = false;
          this.checkRole();
        }
        return;
      case 'topic': {
        const t = this.store.topic(e.name);
        if (t !== undefined) for (let p = 0; p < t.partitions; p++) this.mark(e.name, p);
        return;
      }
      case 'partition':
        this.mark(e.topic, e.partition);
        return;
      case 'topic-deleted':
        return;
    }
  }

  private checkRole(): void {
    const isController = this.store.controllerId() === this.opts.nodeId;
    if (isController && !this.active) {
      this.active = true;
      this.logger.info('became the controller; reconciling every partition');
      this.scheduleRebalance();
      this.markAll();
    } else if (!isController && this.active) {
      this.logger.info('is no longer the controller');
      this.deactivate();
    } else if (isController) {
      this.markAll();
    }
  }

  private deactivate(): void {
    this.active = false;
    this.allDirty = false;
    this.dirty.clear();
    this.incarnations.clear();
    if (this.rebalanceTimer !== null) this.opts.clock.clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = null;
  }

  private markAll(): void {
    if (!this.active) return;
    this.allDirty = true;
    this.kick();
  }

  private mark(topic: string, partition: number): void {
    if (!this.active) return;
    this.dirty.add(keyOf(topic, partition));
    this.kick();
  }

  private kick(): void {
    if (this.running !== null || this.waitingForStore) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.active && !this.waitingForStore && (this.allDirty || this.dirty.size > 0)) this.kick();
    });
  }

  /** Takes the pending work and reconciles it, until none is left; stops when the role is lost or the store is unreachable. */
  private async drain(): Promise<void> {
    while (this.active && (this.allDirty || this.dirty.size > 0)) {
      const work: Key[] = [];
      if (this.allDirty) {
        for (const t of this.store.topics()) for (let p = 0; p < t.partitions; p++) work.push(keyOf(t.name, p));
      } else work.push(...this.dirty);
      const brokersChanged = this.allDirty;
      this.allDirty = false;
      this.dirty.clear();
      const restarted = brokersChanged ? this.restartedBrokers() : new Set<number>();
      const ok = await this.reconcile(work, restarted);
      if (!ok) {
        if (this.waitingForStore) this.allDirty = true;
        return;
      }
      if (brokersChanged) for (const b of this.store.brokers()) this.incarnations.set(b.nodeId, b.incarnationId);
    }
  }

  /** Live brokers whose incarnation changed since they were last seen (forgetting brokers that are gone). */
  private restartedBrokers(): Set<number> {
    const restarted = new Set<number>();
    for (const b of this.store.brokers()) {
      const seen = this.incarnations.get(b.nodeId);
      if (seen !== undefined && seen !== b.incarnationId) restarted.add(b.nodeId);
    }
    for (const id of this.incarnations.keys()) if (!this.store.brokers().some((b) => b.nodeId === id)) this.incarnations.delete(id);
    return restarted;
  }

  /**
   * Reconciles these partitions; false when it had to stop (role lost, store unreachable, a
   * fault). Every change is written together first (others see a failed broker's partitions move
   * at once); those whose batch lost a compare-and-swap to another writer are then written one by
   * one, each re-read and decided again.
   */
  private async reconcile(work: Key[], restarted: ReadonlySet<number>): Promise<boolean> {
    let stopped = false;
    const stillController = (): boolean => {
      if (!stopped && (!this.active || this.store.controllerId() !== this.opts.nodeId)) stopped = true;
      return !stopped;
    };
    const decide = (topic: string, s: PartitionState): PartitionChange | null =>
      partitionChange(s, brokerMap(this.store), this.opts.uncleanLeaderElection(topic) ? 'unclean' : 'online', restarted);
    /** A failed write: the store unreachable waits for its 'connection' event, anything else for the next change. */
    const failed = (err: unknown, what: Record<string, unknown>): void => {
      if (!stopped && err instanceof MetadataUnavailableError) {
        this.logger.warn('metadata store unreachable; the controller waits for it', { err });
        this.waitingForStore = true;
      } else if (!stopped) this.logger.error('partition reconcile failed; it resumes at the next metadata change', { ...what, err });
      stopped = true;
    };
    if (!stillController()) return false;
    let rest: Array<{ topic: string; partition: number }>;
    try {
      rest = await writePartitionsTogether(this.store, work.map(parseKey), decide, this.logger);
    } catch (err) {
      failed(err, { partitions: work.length });
      return false;
    }
    await runBounded(rest, CONTROLLER_WRITES_IN_FLIGHT_MAX, async ({ topic, partition }) => {
      if (!stillController()) return;
      try {
        await writePartition(this.store, topic, partition, (s) => decide(topic, s), this.logger);
      } catch (err) {
        failed(err, { topic, partition });
      }
    });
    return !stopped;
  }

  private scheduleRebalance(): void {
    if (!this.rebalance.autoLeaderRebalanceEnable || !this.active) return;
    const ms = Math.max(1, this.rebalance.leaderImbalanceCheckIntervalSeconds * 1000);
    this.rebalanceTimer = this.opts.clock.setTimeout(() => {
      this.rebalanceTimer = null;
      void this.rebalanceLeaders()
        .catch((err: unknown) => this.logger.warn('preferred leader election failed', { err }))
        .finally(() => this.scheduleRebalance());
    }, ms);
  }

  /**
   * Kafka's automatic preferred leader election: per preferred broker, the share of its
   * partitions led elsewhere; above the threshold, those partitions whose preferred replica is
   * in the ISR and active move back to it.
   */
  async rebalanceLeaders(): Promise<number> {
    if (!this.active) return 0;
    const brokers = brokerMap(this.store);
    const candidates = imbalancedPartitions(this.store, brokers, this.rebalance.leaderImbalancePerBrokerPercentage);
    let moved = 0;
    await runBounded(candidates, CONTROLLER_WRITES_IN_FLIGHT_MAX, async ({ topic, partition }) => {
      if (!this.active) return;
      const r = await writePartition(this.store, topic, partition, (s) => partitionChange(s, brokerMap(this.store), 'preferred'), this.logger);
      if (r === 'changed') moved++;
    });
    if (moved > 0) this.logger.info('moved leaderships back to preferred replicas', { partitions: moved });
    return moved;
  }
}

/**
 * The partitions an automatic preferred election moves: grouped by preferred replica, each group
 * whose share of partitions not led by it is above `percentage`, keeping those whose preferred
 * replica can lead now (in the ISR, active).
 */
export function imbalancedPartitions(
  store: Pick<MetadataStore, 'topics' | 'partition'>,
  brokers: ReadonlyMap<number, BrokerRegistration>,
  percentage: number,
): Array<{ topic: string; partition: number }> {
  const byPreferred = new Map<number, { total: number; off: Array<{ topic: string; partition: number; movable: boolean }> }>();
  for (const t of store.topics())
    for (let p = 0; p < t.partitions; p++) {
      const s = store.partition(t.name, p);
      if (s === undefined || s.replicas.length === 0) continue;
      const preferred = s.replicas[0]!;
      const group = byPreferred.get(preferred) ?? { total: 0, off: [] };
      group.total++;
      if (s.leader !== preferred) group.off.push({ topic: t.name, partition: p, movable: s.isr.includes(preferred) && isActive(brokers, preferred) });
      byPreferred.set(preferred, group);
    }
  const result: Array<{ topic: string; partition: number }> = [];
  for (const { total, off } of byPreferred.values())
    if (off.length / total > percentage / 100) for (const o of off) if (o.movable) result.push({ topic: o.topic, partition: o.partition });
  return result;
}
