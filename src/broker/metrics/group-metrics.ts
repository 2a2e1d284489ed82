/**
 * Kafka 4's group coordinator metrics (`kafka.server:type=group-coordinator-metrics`) under the
 * JMX exporter's names: groups per protocol (group-count), KIP-848 consumer groups and share
 * groups per state (consumer-group-count, share-group-count), and their rebalances
 * (consumer-group-rebalance-count, share-group-rebalance-count; Kafka's -rate is Prometheus'
 * rate() of the counter). Every state Kafka names is always served, 0 when no group is in it.
 */
import type { Registry } from 'prom-client';
import type { BrokerContext } from '../handler.js';
import { listShareGroups } from '../share-listing.js';
import { counter, gauge, type Labels } from './series.js';

const PREFIX = 'kafka_server_group_coordinator_metrics';
/** Kafka's ConsumerGroupState and ShareGroupState names. */
const CONSUMER_STATES = ['Empty', 'Assigning', 'Reconciling', 'Stable', 'Dead'] as const;
const SHARE_STATES = ['Empty', 'Stable', 'Dead'] as const;

type Each = <T>(fn: (c: BrokerContext) => Iterable<T>) => Iterable<T>;

/** Groups this broker coordinates, counted per type and per state in one pass. */
function groupCounts(c: BrokerContext): { byType: Map<string, number>; consumer: Map<string, number>; share: Map<string, number> } {
  const byType = new Map<string, number>([['classic', 0], ['consumer', 0], ['share', 0]]);
  const consumer = new Map<string, number>(CONSUMER_STATES.map((s) => [s, 0]));
  const share = new Map<string, number>(SHARE_STATES.map((s) => [s, 0]));
  for (const g of c.groups.listGroups([], []).groups) {
    byType.set(g.type, (byType.get(g.type) ?? 0) + 1);
    if (g.type === 'consumer') consumer.set(g.state, (consumer.get(g.state) ?? 0) + 1);
  }
  for (const g of listShareGroups(c, [], [])) {
    byType.set('share', byType.get('share')! + 1);
    share.set(g.groupState, (share.get(g.groupState) ?? 0) + 1);
  }
  return { byType, consumer, share };
}

function series(counts: Map<string, number>, label: string): Array<[Labels, number]> {
  return [...counts].map(([value, n]): [Labels, number] => [{ [label]: value }, n]);
}

export function registerGroupCounts(registry: Registry, each: Each): void {
  gauge(registry, `${PREFIX}_group_count`, 'Groups this broker coordinates, per protocol (classic, consumer, share).', ['protocol'], () => each((c) => series(groupCounts(c).byType, 'protocol')));
  gauge(registry, `${PREFIX}_consumer_group_count`, 'KIP-848 consumer groups this broker coordinates, per state.', ['state'], () => each((c) => series(groupCounts(c).consumer, 'state')));
  gauge(registry, `${PREFIX}_share_group_count`, 'Share groups on this broker, per state.', ['state'], () => each((c) => series(groupCounts(c).share, 'state')));
  counter(registry, `${PREFIX}_consumer_group_rebalance_total`, 'KIP-848 consumer group rebalances (group epoch bumps: joins, leaves, subscription and metadata changes) since start.', [], () => each((c) => [[{}, c.groups.consumerRebalances] as [Labels, number]]));
  counter(registry, `${PREFIX}_share_group_rebalance_total`, 'Share group rebalances (group epoch bumps) since start.', [], () => each((c) => [[{}, c.groups.shares.rebalances] as [Labels, number]]));
}
