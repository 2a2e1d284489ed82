/**
 * Cluster metadata in memory, for tests and the in-process cluster: one `MemoryMetadataBackend`
 * holds the state (as etcd would), and each broker gets its own `MemoryMetadataStore` view of it
 * (as each broker has its own etcd client). Changes reach every view's listeners asynchronously
 * (a microtask later), as watch events do. A test can end a broker's session (`expire`), cut a
 * view off the backend (`disconnect`/`reconnect`), and every rule of `types.ts` holds.
 */
import {
  type BrokerRegistration, type MetadataEvent, type MetadataStore, type PartitionChange, type PartitionState, type PartitionSwap, type TopicMetadata,
  MetadataConflictError, MetadataUnavailableError,
} from './types.js';
import { KeyedRecords, type KeyedChange, type RecordKind } from './keyed-records.js';

function copyState(s: PartitionState): PartitionState {
  return { ...s, replicas: [...s.replicas], isr: [...s.isr] };
}

export class MemoryMetadataBackend {
  readonly topicsByName = new Map<string, TopicMetadata>();
  readonly partitionStates = new Map<string, PartitionState[]>();
  readonly brokerRegs = new Map<number, BrokerRegistration>();
  readonly brokerConfigsByScope = new Map<string, Record<string, string>>();
  readonly keyed = new KeyedRecords();
  nextProducerId = 0;
  /** Candidates in the order they campaigned; the first live one is the controller. */
  private candidates: number[] = [];
  private controller: number | null = null;
  private readonly views = new Set<MemoryMetadataStore>();

  /** A new view for one broker (or a tool). */
  store(): MemoryMetadataStore {
    const v = new MemoryMetadataStore(this);
    this.views.add(v);
    return v;
  }

  /** @internal */
  detach(v: MemoryMetadataStore): void {
    this.views.delete(v);
  }

  /** @internal */
  emit(e: MetadataEvent): void {
    for (const v of this.views) v.deliver(e);
  }

  controllerId(): number | null {
    return this.controller;
  }

  /** @internal */
  campaign(nodeId: number): void {
    if (!this.candidates.includes(nodeId)) this.candidates.push(nodeId);
    this.elect();
  }

  /** @internal */
  withdraw(nodeId: number): void {
    this.candidates = this.candidates.filter((id) => id !== nodeId);
    this.elect();
  }

  private elect(): void {
    const next = this.candidates[0] ?? null;
    if (next === this.controller) return;
    this.controller = next;
    this.emit({ type: 'controller', controllerId: next });
  }

  /** Ends a broker's session, as a lease expiring: its registration and candidacy go. */
  expire(nodeId: number): void {
    if (this.brokerRegs.delete(nodeId)) this.emit({ type: 'brokers' });
    this.withdraw(nodeId);
  }
}

export class MemoryMetadataStore implements MetadataStore {
  private readonly listeners = new Set<(e: MetadataEvent) => void>();
  private cut = false;
  private closed = false;
  /** What this view last registered, so a reconnect can restore it (as the etcd store re-registers). */
  private registered: BrokerRegistration | null = null;
  private campaigning: number | null = null;

  constructor(private readonly b: MemoryMetadataBackend) {}

  get connected(): boolean {
    return !this.cut;
  }

  /** Cuts this view off the backend: its session ends (as a lease would after its TTL) and writes fail. */
  disconnect(): void {
    if (this.cut) return;
    this.cut = true;
    this.deliver({ type: 'connection', connected: false });
    if (this.registered !== null) this.b.expire(this.registered.nodeId);
    if (this.campaigning !== null) this.b.withdraw(this.campaigning);
  }

  /** Heals the cut: the view re-registers and campaigns again, and hears everything it missed. */
  reconnect(): void {
    if (!this.cut) return;
    this.cut = false;
    this.deliver({ type: 'connection', connected: true });
    if (this.registered !== null) {
      this.b.brokerRegs.set(this.registered.nodeId, this.registered);
      this.b.emit({ type: 'brokers' });
    }
    if (this.campaigning !== null) this.b.campaign(this.campaigning);
    // Everything may have changed while cut off.
    for (const t of this.b.topicsByName.values()) {
      this.deliver({ type: 'topic', name: t.name });
      for (let p = 0; p < t.partitions; p++) this.deliver({ type: 'partition', topic: t.name, partition: p });
    }
    this.deliver({ type: 'controller', controllerId: this.b.controllerId() });
  }

  /** @internal */
  deliver(e: MetadataEvent): void {
    if (this.closed || (this.cut && e.type !== 'connection')) return;
    queueMicrotask(() => {
      for (const l of this.listeners) l(e);
    });
  }

  private writable(): void {
    if (this.closed) throw new MetadataUnavailableError('the metadata store is closed');
    if (this.cut) throw new MetadataUnavailableError('the metadata store cannot be reached');
  }

  async registerBroker(reg: BrokerRegistration): Promise<void> {
    this.writable();
    this.registered = { ...reg, endpoints: reg.endpoints.map((e) => ({ ...e })) };
    this.b.brokerRegs.set(reg.nodeId, this.registered);
    this.b.emit({ type: 'brokers' });
  }

  updateRegistration(reg: BrokerRegistration): Promise<void> {
    return this.registerBroker(reg);
  }

  async unregisterBroker(nodeId: number): Promise<void> {
    this.writable();
    if (this.registered?.nodeId === nodeId) this.registered = null;
    if (this.b.brokerRegs.delete(nodeId)) this.b.emit({ type: 'brokers' });
  }

  brokers(): BrokerRegistration[] {
    return [...this.b.brokerRegs.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  campaign(nodeId: number): void {
    this.campaigning = nodeId;
    if (!this.cut) this.b.campaign(nodeId);
  }

  async resign(nodeId: number): Promise<void> {
    this.campaigning = null;
    this.b.withdraw(nodeId);
  }

  controllerId(): number | null {
    return this.b.controllerId();
  }

  topics(): IterableIterator<TopicMetadata> {
    return this.b.topicsByName.values();
  }

  topic(name: string): TopicMetadata | undefined {
    return this.b.topicsByName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    for (const t of this.b.topicsByName.values()) if (t.topicId === topicId) return t;
    return undefined;
  }

  async createTopic(topic: TopicMetadata, partitions: PartitionChange[]): Promise<void> {
    this.writable();
    if (this.b.topicsByName.has(topic.name)) throw new MetadataConflictError(`topic ${topic.name} exists`);
    if (this.topicById(topic.topicId) !== undefined) throw new MetadataConflictError(`topic id ${topic.topicId} is taken`);
    if (partitions.length !== topic.partitions) throw new Error(`${topic.partitions} partitions but ${partitions.length} states`);
    this.b.topicsByName.set(topic.name, { ...topic, configs: { ...topic.configs } });
    this.b.partitionStates.set(topic.name, partitions.map((p) => copyState({ ...p, partitionEpoch: 0 })));
    this.b.emit({ type: 'topic', name: topic.name });
    for (let i = 0; i < partitions.length; i++) this.b.emit({ type: 'partition', topic: topic.name, partition: i });
  }

  async updateTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    this.writable();
    const t = this.b.topicsByName.get(name);
    if (t === undefined) throw new MetadataConflictError(`topic ${name} does not exist`);
    this.b.topicsByName.set(name, { ...t, configs: { ...configs } });
    this.b.emit({ type: 'topic', name });
  }

  async addPartitions(name: string, added: PartitionChange[]): Promise<void> {
    this.writable();
    const t = this.b.topicsByName.get(name);
    const states = this.b.partitionStates.get(name);
    if (t === undefined || states === undefined) throw new MetadataConflictError(`topic ${name} does not exist`);
    const first = t.partitions;
    for (const p of added) states.push(copyState({ ...p, partitionEpoch: 0 }));
    this.b.topicsByName.set(name, { ...t, partitions: states.length });
    this.b.emit({ type: 'topic', name });
    for (let i = first; i < states.length; i++) this.b.emit({ type: 'partition', topic: name, partition: i });
  }

  async deleteTopic(name: string): Promise<void> {
    this.writable();
    const t = this.b.topicsByName.get(name);
    if (t === undefined) return;
    this.b.topicsByName.delete(name);
    this.b.partitionStates.delete(name);
    this.b.emit({ type: 'topic-deleted', name, topicId: t.topicId });
  }

  partition(topic: string, partition: number): PartitionState | undefined {
    const s = this.b.partitionStates.get(topic)?.[partition];
    return s === undefined ? undefined : copyState(s);
  }

  compareAndSetPartition(topic: string, partition: number, expected: number, next: PartitionChange): Promise<boolean> {
    return this.compareAndSetPartitions([{ topic, partition, expectedPartitionEpoch: expected, next }]);
  }

  async compareAndSetPartitions(changes: readonly PartitionSwap[]): Promise<boolean> {
    this.writable();
    for (const c of changes) if (this.b.partitionStates.get(c.topic)?.[c.partition]?.partitionEpoch !== c.expectedPartitionEpoch) return false;
    for (const c of changes) this.b.partitionStates.get(c.topic)![c.partition] = copyState({ ...c.next, partitionEpoch: c.expectedPartitionEpoch + 1 });
    for (const c of changes) this.b.emit({ type: 'partition', topic: c.topic, partition: c.partition });
    return true;
  }

  brokerConfigs(scope: string): Readonly<Record<string, string>> {
    return this.b.brokerConfigsByScope.get(scope) ?? {};
  }

  async putBrokerConfigs(scope: string, configs: Record<string, string>): Promise<void> {
    this.writable();
    if (Object.keys(configs).length === 0) this.b.brokerConfigsByScope.delete(scope);
    else this.b.brokerConfigsByScope.set(scope, { ...configs });
    this.b.emit({ type: 'broker-config', scope });
  }

  records(kind: RecordKind): ReadonlyMap<string, unknown> {
    return this.b.keyed.get(kind);
  }

  recordsVersion(kind: RecordKind): number {
    return this.b.keyed.version(kind);
  }

  async putRecords(kind: RecordKind, changes: readonly KeyedChange[]): Promise<void> {
    this.writable();
    this.b.keyed.apply(kind, structuredClone(changes));
    this.b.emit({ type: 'records', kind });
  }

  async allocateProducerIdBlock(size: number): Promise<number> {
    this.writable();
    const start = this.b.nextProducerId;
    this.b.nextProducerId += size;
    return start;
  }

  onChange(listener: (e: MetadataEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.campaigning !== null) this.b.withdraw(this.campaigning);
    this.closed = true;
    this.listeners.clear();
    this.b.detach(this);
  }
}
