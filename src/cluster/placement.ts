/**
 * Where a new partition's replicas go, as Kafka spreads them (AdminUtils.assignReplicasToBrokers):
 * the first replica of each partition round robin over the brokers from a random start, the
 * others at an increasing shift so that the followers of one broker's partitions spread over all
 * the others. With `broker.rack` set, the broker list alternates racks first, and followers skip
 * racks that already hold a replica while some rack holds none, so a partition's replicas land on
 * distinct racks whenever there are as many racks as replicas. Then the first state of each
 * partition, as Kafka's controller writes it.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { assert } from '../util/assert.js';
import type { BrokerRegistration, MetadataStore, PartitionChange } from './store/types.js';
import { validateManualAssignment } from './topics.js';

/** What placement needs of a broker. */
export interface PlacementBroker {
  nodeId: number;
  rack: string | null;
}

/** A random number in [0, 1), injected so that tests replay a placement. */
export type RandomSource = () => number;

function randomIndex(random: RandomSource, n: number): number {
  const i = Math.floor(random() * n);
  assert(i >= 0 && i < n, `random index ${i} out of [0, ${n})`);
  return i;
}

/** Kafka's follower position: the shift grows once per round of partitions, never landing on the first replica. */
function replicaIndex(firstReplicaIndex: number, shift: number, replica: number, brokers: number): number {
  return (firstReplicaIndex + 1 + ((shift + replica) % (brokers - 1))) % brokers;
}

/**
 * The brokers alternated by rack (racks by name, brokers of a rack by id): for racks a: 0,1,
 * b: 2,3 and c: 4 this is 0, 2, 4, 1, 3. A broker without a rack counts as a rack of its own kind.
 */
export function rackAlternatedBrokers(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string | null, PlacementBroker[]>();
  for (const b of brokers) {
    const list = byRack.get(b.rack) ?? [];
    list.push(b);
    byRack.set(b.rack, list);
  }
  const racks = [...byRack.keys()].sort((a, b) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1));
  for (const list of byRack.values()) list.sort((a, b) => a.nodeId - b.nodeId);
  const result: PlacementBroker[] = [];
  for (let round = 0; result.length < brokers.length; round++)
    for (const rack of racks) {
      const b = byRack.get(rack)![round];
      if (b !== undefined) result.push(b);
    }
  return result;
}

/**
 * Replica lists for partitions `startPartition … startPartition + partitions - 1`, preferred
 * leader first. The caller has checked 1 ≤ replicationFactor ≤ brokers.length.
 */
export function assignReplicas(
  brokers: readonly PlacementBroker[],
  partitions: number,
  replicationFactor: number,
  random: RandomSource,
  startPartition = 0,
): number[][] {
  assert(replicationFactor >= 1 && replicationFactor <= brokers.length, `replication factor ${replicationFactor} for ${brokers.length} brokers`);
  assert(partitions >= 0 && startPartition >= 0, 'partition counts are not negative');
  const rackAware = brokers.some((b) => b.rack !== null);
  const list = rackAware ? rackAlternatedBrokers(brokers) : [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  const n = list.length;
  const racks = new Set(list.map((b) => b.rack)).size;
  const startIndex = randomIndex(random, n);
  let shift = randomIndex(random, n);
  const result: number[][] = [];
  for (let p = startPartition; p < startPartition + partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const leader = list[first]!;
    const replicas = [leader.nodeId];
    if (!rackAware) {
      for (let j = 0; j < replicationFactor - 1; j++) replicas.push(list[replicaIndex(first, shift, j, n)]!.nodeId);
    } else {
      const racksUsed = new Set([leader.rack]);
      const brokersUsed = new Set([leader.nodeId]);
      let k = 0;
      while (replicas.length < replicationFactor) {
        const b = list[replicaIndex(first, shift * racks, k++, n)]!;
        // Skip a rack already used while some rack has no replica, and a broker already used while some broker has none.
        if ((!racksUsed.has(b.rack) || racksUsed.size === racks) && (!brokersUsed.has(b.nodeId) || brokersUsed.size === n)) {
          replicas.push(b.nodeId);
          racksUsed.add(b.rack);
          brokersUsed.add(b.nodeId);
        }
      }
    }
    result.push(replicas);
  }
  return result;
}

/** A broker that may lead or join an ISR: registered (its session alive) and not in controlled shutdown. */
export function isActive(brokers: ReadonlyMap<number, BrokerRegistration>, nodeId: number): boolean {
  const b = brokers.get(nodeId);
  return b !== undefined && !b.shuttingDown;
}

/** The live brokers by id. */
export function brokerMap(store: Pick<MetadataStore, 'brokers'>): Map<number, BrokerRegistration> {
  return new Map(store.brokers().map((b) => [b.nodeId, b]));
}

/** The brokers new replicas may go to: live and not shutting down (Kafka's usable brokers). */
export function usableBrokers(store: Pick<MetadataStore, 'brokers'>): PlacementBroker[] {
  return store.brokers().filter((b) => !b.shuttingDown).map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
}

/**
 * A new partition's first state, as Kafka's controller builds it: the ISR is the replicas that
 * are active, the leader the first of them, epochs 0. Null when no replica is active.
 */
export function initialPartitionState(replicas: readonly number[], brokers: ReadonlyMap<number, BrokerRegistration>): PartitionChange | null {
  const isr = replicas.filter((r) => isActive(brokers, r));
  if (isr.length === 0) return null;
  return { replicas: [...replicas], isr, leader: isr[0]!, leaderEpoch: 0 };
}

/**
 * Places `partitions` new partitions (numbered from `startPartition`) with `replicationFactor`
 * replicas each on the usable brokers, with Kafka's INVALID_REPLICATION_FACTOR sentences when
 * that cannot be done. Counts below 1 are the caller's to refuse first (TopicManager does, with
 * Kafka's messages).
 */
export function placePartitions(
  store: Pick<MetadataStore, 'brokers'>,
  partitions: number,
  replicationFactor: number,
  random: RandomSource,
  startPartition = 0,
): PartitionChange[] {
  const unable = (why: string): KafkaError =>
    new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): ${why}`);
  if (replicationFactor <= 0) throw unable(`Invalid replication factor ${replicationFactor}: the replication factor must be positive.`);
  if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
  const usable = usableBrokers(store);
  if (usable.length === 0) throw unable('All brokers are currently fenced.');
  if (replicationFactor > usable.length)
    throw unable(`The target replication factor of ${replicationFactor} cannot be reached because only ${usable.length} broker(s) are registered.`);
  const brokers = brokerMap(store);
  return assignReplicas(usable, partitions, replicationFactor, random, startPartition).map((replicas) => {
    const state = initialPartitionState(replicas, brokers);
    assert(state !== null, 'placed replicas are on usable brokers');
    return state;
  });
}

/**
 * States for explicitly assigned partitions (CreateTopics assignments, CreatePartitions
 * assignments), checked as Kafka checks them: each list valid (validateManualAssignment, against
 * every registered broker), as long as the first (or as `replicationFactor` when given), and at
 * least one replica active.
 */
export function manualPartitionStates(
  store: Pick<MetadataStore, 'brokers'>,
  assignments: ReadonlyArray<readonly number[]>,
  startPartition = 0,
  replicationFactor?: number,
): PartitionChange[] {
  const brokers = brokerMap(store);
  const registered = new Set(brokers.keys());
  let rf = replicationFactor;
  return assignments.map((replicas, i) => {
    validateManualAssignment(replicas, rf, registered);
    rf = replicas.length;
    const state = initialPartitionState(replicas, brokers);
    if (state === null)
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `All brokers specified in the manual partition assignment for partition ${startPartition + i} are fenced or in controlled shutdown.`,
      );
    return state;
  });
}

/**
 * The states of partitions added to `topic` by CreatePartitions: placed with the replication
 * factor of its partition 0 (Kafka's rule), or from explicit assignments, which must number
 * exactly the partitions added. The count itself is checked by TopicManager.validatePartitionCount.
 */
export function placeNewPartitions(
  store: Pick<MetadataStore, 'brokers' | 'topic' | 'partition'>,
  topic: string,
  count: number,
  random: RandomSource,
  assignments?: ReadonlyArray<readonly number[]>,
): PartitionChange[] {
  const t = store.topic(topic);
  const first = t === undefined ? undefined : store.partition(topic, 0);
  if (t === undefined || first === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic: ${topic}`);
  const additional = count - t.partitions;
  assert(additional > 0, `CreatePartitions to ${count} on a topic of ${t.partitions} was validated first`);
  if (assignments !== undefined) {
    if (assignments.length !== additional)
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Attempted to add ${additional} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
      );
    return manualPartitionStates(store, assignments, t.partitions, first.replicas.length);
  }
  return placePartitions(store, additional, first.replicas.length, random, t.partitions);
}
