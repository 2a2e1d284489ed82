/**
 * The broker's Prometheus metrics under the names Prometheus' JMX exporter gives Kafka's MBeans
 * (`kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec, topic=t><>Count` →
 * `kafka_server_brokertopicmetrics_messagesin_total{topic="t"}`), so that Kafka's Grafana
 * dashboards mostly work; consumer lag under kafka_exporter's names (`kafka_consumergroup_lag`).
 * Gauges are computed when Prometheus scrapes (collect callbacks), from the broker's state and
 * from the hot path's plain counters (broker-counters.ts); nothing here runs per request.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { BrokerContext } from '../handler.js';
import type { ConnectionQuotas } from '../connection-quotas.js';
import type { BrokerCounters, RequestTimes, TopicCounters } from './broker-counters.js';
import type { BucketHistogram } from '../../util/histogram.js';
import { bucketHistogram, counter, gauge, type Labels } from './series.js';
import { LOG_FLUSH_TIMES_MS } from '../../storage/flush-stats.js';
import { registerGroupCounts } from './group-metrics.js';
import { registerConsumerLag } from './consumer-lag.js';
import type { RemoteHighWatermarks } from './remote-high-watermarks.js';

/** What the collectors read, handed over once the broker serves (`MetricsService.attach`). */
export interface MetricsSource {
  readonly context: BrokerContext;
  readonly connections: ConnectionQuotas;
  /** In a cluster: the leaders' high watermarks of partitions led elsewhere, for consumer lag. */
  readonly highWatermarks?: RemoteHighWatermarks | null;
}

/** The per-topic series of one BrokerTopicMetrics counter, and the broker-wide one without a topic label. */
function topicSeries(counters: BrokerCounters, pick: (t: TopicCounters) => number): Iterable<[Labels, number]> {
  const out: Array<[Labels, number]> = [[{}, pick(counters.total)]];
  for (const [topic, t] of counters.topics) out.push([{ topic }, pick(t)]);
  return out;
}

/** This broker's partitions: leaders, and what the ISR says of them (the single broker leads all, each its own ISR). */
function partitionStates(ctx: BrokerContext): { partitions: number; leaders: number; underReplicated: number; underMinIsr: number; offline: number } {
  const store = ctx.metadataStore;
  const all = ctx.replicas.logs.all();
  let leaders = 0;
  let underReplicated = 0;
  let underMinIsr = 0;
  for (const { topic, partition } of all) {
    const s = store === null ? { leader: ctx.nodeId, isr: [ctx.nodeId], replicas: [ctx.nodeId] } : store.partition(topic, partition);
    if (s === undefined || s.leader !== ctx.nodeId) continue;
    leaders++;
    if (s.isr.length < s.replicas.length) underReplicated++;
    if (s.isr.length < ctx.topics.minInsyncReplicas(topic)) underMinIsr++;
  }
  // Kafka's OfflinePartitionsCount is the active controller's: partitions without a leader.
  let offline = 0;
  if (store !== null && store.controllerId() === ctx.nodeId) {
    for (const t of store.topics()) for (let p = 0; p < t.partitions; p++) if ((store.partition(t.name, p)?.leader ?? -1) < 0) offline++;
  }
  return { partitions: all.length, leaders, underReplicated, underMinIsr, offline };
}

function requestHistograms(counters: BrokerCounters, pick: (r: RequestTimes) => BucketHistogram): Array<{ labels: Labels; h: BucketHistogram }> {
  return [...counters.requests.values()].map((r) => ({ labels: { request: r.name }, h: pick(r) }));
}

/** Registers every metric on `registry`; they read `source()` (null until the broker serves: then only the process metrics have values). */
export function registerBrokerMetrics(registry: Registry, counters: BrokerCounters, source: () => MetricsSource | null): void {
  collectDefaultMetrics({ register: registry });
  const ctx = (): BrokerContext | null => source()?.context ?? null;
  const each = <T>(fn: (c: BrokerContext) => Iterable<T>): Iterable<T> => {
    const c = ctx();
    return c === null ? [] : fn(c);
  };

  // kafka.server:type=BrokerTopicMetrics
  counter(registry, 'kafka_server_brokertopicmetrics_messagesin_total', 'Messages appended from producers (without a topic label: all topics).', ['topic'], () => topicSeries(counters, (t) => t.messagesIn));
  counter(registry, 'kafka_server_brokertopicmetrics_bytesin_total', 'Bytes of record batches appended from producers.', ['topic'], () => topicSeries(counters, (t) => t.bytesIn));
  counter(registry, 'kafka_server_brokertopicmetrics_bytesout_total', 'Bytes of record batches sent to consumers (replication not counted).', ['topic'], () => topicSeries(counters, (t) => t.bytesOut));
  counter(registry, 'kafka_server_brokertopicmetrics_totalproducerequests_total', 'Partitions in Produce requests (without a topic label: all topics, unknown ones included).', ['topic'], () => topicSeries(counters, (t) => t.produceRequests));
  counter(registry, 'kafka_server_brokertopicmetrics_failedproducerequests_total', 'Partitions in Produce requests answered with an error code.', ['topic'], () => topicSeries(counters, (t) => t.failedProduceRequests));
  counter(registry, 'kafka_server_brokertopicmetrics_totalfetchrequests_total', 'Partitions in Fetch requests, from consumers and followers.', ['topic'], () => topicSeries(counters, (t) => t.fetchRequests));
  counter(registry, 'kafka_server_brokertopicmetrics_failedfetchrequests_total', 'Partitions in Fetch requests answered with an error code.', ['topic'], () => topicSeries(counters, (t) => t.failedFetchRequests));

  // kafka.network:type=RequestMetrics
  counter(registry, 'kafka_network_requestmetrics_requests_total', 'Requests answered, per request name.', ['request'], () => [...counters.requests.values()].map((r): [Labels, number] => [{ request: r.name }, r.requests]));
  bucketHistogram(registry, 'kafka_network_requestmetrics_requestqueuetimems', 'Milliseconds a request waited on its connection before its handling began.', () => requestHistograms(counters, (r) => r.requestQueueTimeMs));
  bucketHistogram(registry, 'kafka_network_requestmetrics_localtimems', 'Milliseconds from the start of handling to the response (including long-poll and acks=all waits).', () => requestHistograms(counters, (r) => r.localTimeMs));
  bucketHistogram(registry, 'kafka_network_requestmetrics_responsequeuetimems', 'Milliseconds a response waited for the responses before it on its connection.', () => requestHistograms(counters, (r) => r.responseQueueTimeMs));
  bucketHistogram(registry, 'kafka_network_requestmetrics_totaltimems', 'Milliseconds from a request\'s arrival to its response being written to the socket.', () => requestHistograms(counters, (r) => r.totalTimeMs));

  // kafka.server:type=ReplicaManager and kafka.controller:type=KafkaController
  const states = (pick: (s: ReturnType<typeof partitionStates>) => number) => () => each((c) => [[{}, pick(partitionStates(c))] as [Labels, number]]);
  gauge(registry, 'kafka_server_replicamanager_partitioncount', 'Partitions this broker holds a replica of.', [], states((s) => s.partitions));
  gauge(registry, 'kafka_server_replicamanager_leadercount', 'Partitions this broker leads.', [], states((s) => s.leaders));
  gauge(registry, 'kafka_server_replicamanager_underreplicatedpartitions', 'Partitions this broker leads whose ISR is smaller than their replica set.', [], states((s) => s.underReplicated));
  gauge(registry, 'kafka_server_replicamanager_underminisrpartitioncount', 'Partitions this broker leads whose ISR is smaller than min.insync.replicas.', [], states((s) => s.underMinIsr));
  gauge(registry, 'kafka_controller_kafkacontroller_offlinepartitionscount', 'Partitions without a leader (reported by the active controller, 0 elsewhere).', [], states((s) => s.offline));
  gauge(registry, 'kafka_controller_kafkacontroller_activecontrollercount', '1 on the active controller (a single broker is its own), else 0.', [], () => each((c) => [[{}, c.view.controllerId() === c.nodeId ? 1 : 0] as [Labels, number]]));
  counter(registry, 'kafka_server_replicamanager_isrshrinks_total', 'ISR shrinks of partitions this broker leads (by this leader, or by the controller when a follower went away).', [], () => each((c) => [[{}, c.replication?.isrChanges.shrinks ?? 0] as [Labels, number]]));
  counter(registry, 'kafka_server_replicamanager_isrexpands_total', 'ISR expansions of partitions this broker leads.', [], () => each((c) => [[{}, c.replication?.isrChanges.expands ?? 0] as [Labels, number]]));

  // kafka.log:type=Log and type=LogFlushStats
  const logs = (pick: (l: NonNullable<ReturnType<BrokerContext['replicas']['log']>>) => number) => () =>
    each((c) => c.replicas.logs.all().map(({ topic, partition, log }): [Labels, number] => [{ topic, partition }, pick(log)]));
  gauge(registry, 'kafka_log_log_size', 'Bytes of a partition\'s log segments.', ['topic', 'partition'], logs((l) => l.size));
  gauge(registry, 'kafka_log_log_logstartoffset', 'A partition\'s log start offset.', ['topic', 'partition'], logs((l) => l.logStartOffset));
  gauge(registry, 'kafka_log_log_logendoffset', 'A partition\'s log end offset.', ['topic', 'partition'], logs((l) => l.logEndOffset));
  gauge(registry, 'kafka_log_log_numlogsegments', 'Segments of a partition\'s log.', ['topic', 'partition'], logs((l) => l.segmentCount));
  bucketHistogram(registry, 'kafka_log_logflushstats_logflushrateandtimems', 'Milliseconds each fdatasync round of a partition log took.', () => [{ labels: {}, h: LOG_FLUSH_TIMES_MS }]);

  // The group coordinator (kafka.coordinator.group:type=GroupMetadataManager and group-coordinator-metrics)
  gauge(registry, 'kafka_coordinator_group_groupmetadatamanager_numgroups', 'Groups this broker coordinates, per state and type.', ['state', 'type'], () => each((c) => {
    const n = new Map<string, [Labels, number]>();
    for (const g of c.groups.listGroups([], []).groups) {
      const key = `${g.state}/${g.type}`;
      n.set(key, [{ state: g.state, type: g.type }, (n.get(key)?.[1] ?? 0) + 1]);
    }
    return n.values();
  }));
  gauge(registry, 'kafka_coordinator_group_groupmetadatamanager_numoffsets', 'Committed offsets held by the groups this broker coordinates.', [], () => each((c) => {
    let n = 0;
    for (const l of c.groups.listGroups([], []).groups) for (const ps of c.groups.getGroup(l.groupId)?.offsets.values() ?? []) n += ps.size;
    return [[{}, n] as [Labels, number]];
  }));
  counter(registry, 'kafka_server_group_coordinator_metrics_group_rebalance_total', 'Rebalances of classic groups begun on this coordinator since start.', [], () => each((c) => [[{}, c.groups.rebalances] as [Labels, number]]));
  registerGroupCounts(registry, each);

  // Consumer lag, as kafka_exporter names it
  registerConsumerLag(registry, ctx, () => source()?.highWatermarks ?? null);

  // The transaction coordinator
  gauge(registry, 'kafka_server_transaction_coordinator_metrics_transactional_ids', 'Transactional ids this broker coordinates, per state.', ['state'], () => each((c) => {
    const n = new Map<string, number>();
    for (const m of c.txn?.txns.values() ?? []) n.set(m.state, (n.get(m.state) ?? 0) + 1);
    return [...n].map(([state, v]): [Labels, number] => [{ state }, v]);
  }));

  // kafka.server:type=socket-server-metrics
  gauge(registry, 'kafka_server_socket_server_metrics_connection_count', 'Open client connections per listener.', ['listener'], () => {
    const s = source();
    return s === null ? [] : s.context.config.listeners.map((l): [Labels, number] => [{ listener: l.name }, s.connections.connectionsOn(l.name)]);
  });
  counter(registry, 'kafka_server_socket_server_metrics_failed_authentication_total', 'Failed SASL logins per listener.', ['listener'], () => [...counters.failedAuthentications].map(([listener, v]): [Labels, number] => [{ listener }, v]));
  counter(registry, 'kafka_server_socket_server_metrics_successful_authentication_total', 'Successful SASL logins per listener.', ['listener'], () => [...counters.successfulAuthentications].map(([listener, v]): [Labels, number] => [{ listener }, v]));
}
