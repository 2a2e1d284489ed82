/**
 * Cluster metadata in etcd (the `etcd3` client). Every broker keeps the whole image in memory:
 * one range read of the prefix at open, then a watch from the next revision; writes are etcd
 * transactions, and each resolves only once the watch has brought its revision into the image
 * (so a broker reads its own writes). Keys under the prefix (JSON values):
 *
 *   cluster-id                 the cluster's id, written once
 *   brokers/<id>               a registration, on the broker's lease (TTL broker.session.timeout.ms)
 *   controller                 the controller's node id, on its lease (first to create it wins)
 *   topics/<name>              TopicMetadata
 *   partitions/<name>/<p>      PartitionState (compare-and-swap on the key's mod revision)
 *   configs/brokers/<scope>    dynamic broker configs
 *   records/<kind>/<key>       keyed records (SCRAM credentials, ACLs, quotas); key URI-encoded
 *   producer-ids/next          the next unreserved producer id
 *
 * While etcd cannot be reached, writes reject with MetadataUnavailableError and the image keeps
 * its last contents; a lost lease is granted again when etcd is back, and the broker registers
 * and campaigns again.
 */
import { randomBytes } from 'node:crypto';
import { Etcd3, type Lease, type Watcher } from 'etcd3';
import type { Logger } from '../../util/logger.js';
import {
  type BrokerRegistration, type MetadataEvent, type PartitionSwap, type MetadataStore, type PartitionChange, type PartitionState, type TopicMetadata,
  MetadataConflictError, MetadataUnavailableError,
} from './types.js';
import { KeyedRecords, isRecordKind, type KeyedChange, type RecordKind } from './keyed-records.js';

export interface EtcdStoreOptions {
  endpoints: string[];
  /** metadata.etcd.prefix: several clusters may share one etcd under different prefixes. */
  prefix: string;
  /** broker.session.timeout.ms: a broker's registration lives this long without keep-alives. */
  sessionTimeoutMs: number;
  /** The cluster id of the broker's formatted log dirs, if any: it must match the cluster's. */
  clusterId?: string;
  logger: Logger;
}

interface KV {
  key: Buffer;
  value: Buffer;
  mod_revision: string;
}

export class EtcdMetadataStore implements MetadataStore {
  private readonly client: Etcd3;
  private readonly p: string;
  private readonly topicsByName = new Map<string, TopicMetadata>();
  private readonly partitionStates = new Map<string, Map<number, { state: PartitionState; rev: string }>>();
  private readonly brokerRegs = new Map<number, BrokerRegistration>();
  private readonly brokerConfigsByScope = new Map<string, Record<string, string>>();
  private readonly keyed = new KeyedRecords();
  private controller: number | null = null;
  private readonly listeners = new Set<(e: MetadataEvent) => void>();
  private watcher: Watcher | null = null;
  private lease: Lease | null = null;
  private registration: BrokerRegistration | null = null;
  private candidate: number | null = null;
  private revision = 0;
  private readonly revisionWaiters: Array<{ rev: number; resolve: () => void }> = [];
  private isConnected = true;
  private closed = false;
  private warned = false;
  clusterId = '';

  private constructor(private readonly o: EtcdStoreOptions) {
    this.p = o.prefix.replace(/\/+$/, '') + '/';
    this.client = new Etcd3({ hosts: o.endpoints, dialTimeout: 2000 });
  }

  static async open(o: EtcdStoreOptions): Promise<EtcdMetadataStore> {
    const s = new EtcdMetadataStore(o);
    try {
      await s.load();
    } catch (err) {
      s.client.close();
      throw err;
    }
    return s;
  }

  private get ttlSeconds(): number {
    return Math.max(1, Math.ceil(this.o.sessionTimeoutMs / 1000));
  }

  private async load(): Promise<void> {
    const id = this.o.clusterId ?? randomBytes(16).toString('base64url').slice(0, 22);
    const key = this.p + 'cluster-id';
    let stored: string | null;
    try {
      const r = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(id)).else(this.client.get(key)).commit();
      stored = r.succeeded ? id : (r.responses[0]?.response_range?.kvs[0]?.value.toString() ?? null);
    } catch (err) {
      throw new Error(`cannot reach etcd at ${this.o.endpoints.join(',')} (metadata.etcd.endpoints): ${(err as Error).message}. Start etcd, or fix the endpoints.`);
    }
    if (stored === null) throw new Error(`etcd at ${this.o.endpoints.join(',')} holds no cluster id under ${this.p}`);
    if (this.o.clusterId !== undefined && stored !== this.o.clusterId)
      throw new Error(
        `The cluster id ${this.o.clusterId} in meta.properties does not match the cluster id ${stored} in etcd under ${this.p}: these log dirs belong to another cluster (Kafka's InconsistentClusterIdException). Use other log.dirs or another metadata.etcd.prefix.`,
      );
    this.clusterId = stored;
    const all = await this.client.getAll().prefix(this.p).exec();
    for (const kv of all.kvs as KV[]) this.apply('put', kv, false);
    this.revision = Number(all.header.revision);
    await this.watchFrom(this.revision + 1);
  }

  private async watchFrom(rev: number): Promise<void> {
    const w = await this.client.watch().prefix(this.p).startRevision(String(rev)).create();
    this.watcher = w;
    w.on('put', (kv) => this.apply('put', kv as KV, true));
    w.on('delete', (kv) => this.apply('delete', kv as KV, true));
    w.on('data', (res) => this.advance(Number(res.header.revision)));
    w.on('disconnected', () => this.setConnected(false));
    w.on('connected', () => this.setConnected(true));
  }

  /** The image's keys (relative to the prefix), as etcd would name them. */
  private imageKeys(): Set<string> {
    const keys = new Set<string>();
    for (const id of this.brokerRegs.keys()) keys.add(`brokers/${id}`);
    if (this.controller !== null) keys.add('controller');
    for (const name of this.topicsByName.keys()) keys.add(`topics/${name}`);
    for (const [topic, m] of this.partitionStates) for (const p of m.keys()) keys.add(`partitions/${topic}/${p}`);
    for (const scope of this.brokerConfigsByScope.keys()) keys.add(`configs/brokers/${scope}`);
    for (const e of this.keyed.entries()) keys.add(this.recordKey(e.kind, e.key));
    return keys;
  }

  /**
   * After a lost session the watch may have been down for a while (or be stuck in its
   * reconnect backoff): read the whole prefix again, apply what changed since the image's
   * revision (puts, and deletes of keys no longer there) and watch again from the read's revision,
   * so the broker does not go on from a stale image once etcd answers. The old watch is cancelled
   * first: nothing older than the read can arrive after it.
   */
  private async resync(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = null;
    const all = await this.client.getAll().prefix(this.p).exec();
    const rev = Number(all.header.revision);
    const gone = this.imageKeys();
    for (const kv of all.kvs as KV[]) {
      gone.delete(kv.key.toString().slice(this.p.length));
      if (Number(kv.mod_revision) > this.revision) this.apply('put', kv, true);
    }
    for (const key of gone) this.apply('delete', { key: Buffer.from(this.p + key), value: Buffer.alloc(0), mod_revision: String(rev) }, true);
    this.advance(rev);
    await this.watchFrom(rev + 1);
  }

  private setConnected(c: boolean): void {
    if (this.closed || c === this.isConnected) return;
    this.isConnected = c;
    if (!c && !this.warned) {
      this.warned = true;
      this.o.logger.warn(`cannot reach etcd at ${this.o.endpoints.join(',')}; retrying (leaders keep serving, no metadata change is accepted meanwhile)`);
    }
    if (c) {
      this.warned = false;
      this.o.logger.info('etcd reachable again');
    }
    this.emit({ type: 'connection', connected: c });
    if (c && this.lease?.revoked() !== false && this.registration !== null) void this.renewSession();
  }

  private advance(rev: number): void {
    if (rev <= this.revision) return;
    this.revision = rev;
    for (let i = this.revisionWaiters.length - 1; i >= 0; i--) {
      const w = this.revisionWaiters[i]!;
      if (w.rev <= rev) {
        this.revisionWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Resolves once the image holds revision `rev` (read-your-writes). */
  private caughtUp(rev: number): Promise<void> {
    if (rev <= this.revision) return Promise.resolve();
    return new Promise((resolve) => this.revisionWaiters.push({ rev, resolve }));
  }

  private emit(e: MetadataEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.o.logger.error('metadata listener failed', { err });
      }
    }
  }

  private apply(op: 'put' | 'delete', kv: KV, notify: boolean): void {
    const key = kv.key.toString().slice(this.p.length);
    const parts = key.split('/');
    const value = op === 'put' ? kv.value.toString() : '';
    const events: MetadataEvent[] = [];
    if (parts[0] === 'brokers' && parts.length === 2) {
      const id = Number(parts[1]);
      if (op === 'put') this.brokerRegs.set(id, JSON.parse(value) as BrokerRegistration);
      else this.brokerRegs.delete(id);
      events.push({ type: 'brokers' });
      if (op === 'delete' && notify && id === this.registration?.nodeId) this.registrationGone();
    } else if (key === 'controller') {
      this.controller = op === 'put' ? Number(value) : null;
      events.push({ type: 'controller', controllerId: this.controller });
      // The controller's session ended: candidates run again.
      if (op === 'delete' && this.candidate !== null) void this.tryElect();
    } else if (parts[0] === 'topics' && parts.length === 2) {
      const name = parts[1]!;
      if (op === 'put') {
        this.topicsByName.set(name, JSON.parse(value) as TopicMetadata);
        events.push({ type: 'topic', name });
      } else {
        const old = this.topicsByName.get(name);
        this.topicsByName.delete(name);
        if (old !== undefined) events.push({ type: 'topic-deleted', name, topicId: old.topicId });
      }
    } else if (parts[0] === 'partitions' && parts.length >= 3) {
      const partition = Number(parts[parts.length - 1]);
      const topic = parts.slice(1, -1).join('/');
      let m = this.partitionStates.get(topic);
      if (op === 'put') {
        if (m === undefined) this.partitionStates.set(topic, (m = new Map()));
        m.set(partition, { state: JSON.parse(value) as PartitionState, rev: kv.mod_revision });
      } else {
        m?.delete(partition);
        if (m?.size === 0) this.partitionStates.delete(topic);
      }
      events.push({ type: 'partition', topic, partition });
    } else if (parts[0] === 'configs' && parts[1] === 'brokers' && parts.length === 3) {
      if (op === 'put') this.brokerConfigsByScope.set(parts[2]!, JSON.parse(value) as Record<string, string>);
      else this.brokerConfigsByScope.delete(parts[2]!);
      events.push({ type: 'broker-config', scope: parts[2]! });
    } else if (parts[0] === 'records' && parts.length === 3 && isRecordKind(parts[1]!)) {
      const kind = parts[1];
      this.keyed.apply(kind, [{ key: decodeURIComponent(parts[2]!), value: op === 'put' ? JSON.parse(value) : null }]);
      events.push({ type: 'records', kind });
    }
    if (notify) for (const e of events) this.emit(e);
  }

  get connected(): boolean {
    return this.isConnected && !this.closed;
  }

  /** Runs an etcd call as a metadata write: unreachable etcd (or no answer within the session timeout) is MetadataUnavailableError. */
  private async write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new MetadataUnavailableError('the metadata store is closed');
    if (!this.isConnected) throw new MetadataUnavailableError(`cannot ${what}: etcd at ${this.o.endpoints.join(',')} cannot be reached`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MetadataUnavailableError(`cannot ${what}: etcd did not answer within ${this.o.sessionTimeoutMs} ms`)), this.o.sessionTimeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof MetadataUnavailableError || err instanceof MetadataConflictError) throw err;
      throw new MetadataUnavailableError(`cannot ${what}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async commitTxn(what: string, build: () => ReturnType<Etcd3['if']>): Promise<{ succeeded: boolean; revision: number }> {
    return this.write(what, async () => {
      const r = await build().commit();
      const revision = Number(r.header.revision);
      if (r.succeeded) await this.caughtUp(revision);
      return { succeeded: r.succeeded, revision };
    });
  }

  // --- sessions, registrations and the controller ---

  private async sessionLease(): Promise<Lease> {
    if (this.lease !== null && !this.lease.revoked()) return this.lease;
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true });
    lease.on('lost', () => {
      if (this.closed || this.lease !== lease) return;
      this.o.logger.warn('the etcd session (lease) was lost; registering again once etcd answers');
      this.lease = null;
      this.setConnected(false);
      void this.renewSession();
    });
    await lease.grant();
    this.lease = lease;
    return lease;
  }

  private renewing = false;

  /**
   * Our registration was deleted while we still mean to be registered: etcd expired the lease
   * while this broker could not reach it. After a cut that dropped packets without a reset the
   * lease's keep-alive may never report it lost, so the watch's delete is what says so.
   */
  private registrationGone(): void {
    if (this.closed || this.renewing) return;
    this.o.logger.warn('this broker\'s registration is gone from etcd (its session expired); registering again');
    const old = this.lease;
    this.lease = null;
    old?.release();
    this.setConnected(false);
    void this.renewSession();
  }

  /** A new lease, then the registration and candidacy again; retried until etcd answers or the store closes. */
  private async renewSession(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      for (let delay = 200; !this.closed; delay = Math.min(delay * 2, 2000)) {
        try {
          const lease = await this.sessionLease();
          if (this.registration !== null) await lease.put(this.p + `brokers/${this.registration.nodeId}`).value(JSON.stringify(this.registration));
          await this.resync();
          this.setConnected(true);
          if (this.candidate !== null) await this.tryElect();
          return;
        } catch {
          this.lease = null;
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    } finally {
      this.renewing = false;
    }
  }

  async registerBroker(reg: BrokerRegistration): Promise<void> {
    this.registration = { ...reg, endpoints: reg.endpoints.map((e) => ({ ...e })) };
    await this.write('register the broker', async () => {
      const lease = await this.sessionLease();
      const r = await lease.put(this.p + `brokers/${reg.nodeId}`).value(JSON.stringify(this.registration));
      await this.caughtUp(Number(r.header.revision));
    });
  }

  updateRegistration(reg: BrokerRegistration): Promise<void> {
    return this.registerBroker(reg);
  }

  async unregisterBroker(nodeId: number): Promise<void> {
    if (this.registration?.nodeId === nodeId) this.registration = null;
    await this.write('unregister the broker', async () => {
      const r = await this.client.delete().key(this.p + `brokers/${nodeId}`).exec();
      await this.caughtUp(Number(r.header.revision));
    });
  }

  brokers(): BrokerRegistration[] {
    return [...this.brokerRegs.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  campaign(nodeId: number): void {
    this.candidate = nodeId;
    void this.tryElect();
  }

  private async tryElect(): Promise<void> {
    const id = this.candidate;
    if (id === null || this.closed || this.controller !== null) return;
    try {
      const lease = await this.sessionLease();
      const key = this.p + 'controller';
      const r = await this.client.if(key, 'Create', '==', 0).then(lease.put(key).value(String(id))).commit();
      await this.caughtUp(Number(r.header.revision));
      if (r.succeeded) this.o.logger.info('elected controller', { nodeId: id });
    } catch (err) {
      this.o.logger.debug('controller campaign failed; will retry when etcd answers', { err: (err as Error).message });
    }
  }

  async resign(nodeId: number): Promise<void> {
    this.candidate = null;
    if (this.controller !== nodeId || !this.isConnected) return;
    const key = this.p + 'controller';
    await this.write('resign as controller', () => this.client.if(key, 'Value', '==', String(nodeId)).then(this.client.delete().key(key)).commit()).catch(() => undefined);
  }

  controllerId(): number | null {
    return this.controller;
  }

  // --- topics and partitions ---

  topics(): IterableIterator<TopicMetadata> {
    return this.topicsByName.values();
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topicsByName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    for (const t of this.topicsByName.values()) if (t.topicId === topicId) return t;
    return undefined;
  }

  private topicKey(name: string): string {
    return this.p + `topics/${name}`;
  }

  private partitionKey(name: string, p: number): string {
    return this.p + `partitions/${name}/${p}`;
  }

  async createTopic(topic: TopicMetadata, partitions: PartitionChange[]): Promise<void> {
    if (partitions.length !== topic.partitions) throw new Error(`${topic.partitions} partitions but ${partitions.length} states`);
    if (this.topicById(topic.topicId) !== undefined) throw new MetadataConflictError(`topic id ${topic.topicId} is taken`);
    const r = await this.commitTxn('create the topic', () =>
      this.client
        .if(this.topicKey(topic.name), 'Create', '==', 0)
        .then(
          this.client.put(this.topicKey(topic.name)).value(JSON.stringify(topic)),
          ...partitions.map((s, i) => this.client.put(this.partitionKey(topic.name, i)).value(JSON.stringify({ ...s, partitionEpoch: 0 }))),
        ),
    );
    if (!r.succeeded) throw new MetadataConflictError(`topic ${topic.name} exists`);
  }

  async updateTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const t = this.topicsByName.get(name);
    if (t === undefined) throw new MetadataConflictError(`topic ${name} does not exist`);
    const r = await this.commitTxn('change the topic configs', () =>
      this.client.if(this.topicKey(name), 'Create', '>', 0).then(this.client.put(this.topicKey(name)).value(JSON.stringify({ ...t, configs: { ...configs } }))),
    );
    if (!r.succeeded) throw new MetadataConflictError(`topic ${name} does not exist`);
  }

  async addPartitions(name: string, added: PartitionChange[]): Promise<void> {
    const t = this.topicsByName.get(name);
    if (t === undefined) throw new MetadataConflictError(`topic ${name} does not exist`);
    const updated: TopicMetadata = { ...t, partitions: t.partitions + added.length };
    const r = await this.commitTxn('add partitions', () =>
      this.client
        .if(this.partitionKey(name, t.partitions), 'Create', '==', 0)
        .and(this.topicKey(name), 'Create', '>', 0)
        .then(
          ...added.map((s, i) => this.client.put(this.partitionKey(name, t.partitions + i)).value(JSON.stringify({ ...s, partitionEpoch: 0 }))),
          this.client.put(this.topicKey(name)).value(JSON.stringify(updated)),
        ),
    );
    if (!r.succeeded) throw new MetadataConflictError(`topic ${name} changed meanwhile`);
  }

  async deleteTopic(name: string): Promise<void> {
    if (!this.topicsByName.has(name)) return;
    await this.commitTxn('delete the topic', () =>
      this.client
        .if(this.topicKey(name), 'Create', '>', 0)
        .then(this.client.delete().key(this.topicKey(name)), this.client.delete().prefix(this.p + `partitions/${name}/`)),
    );
  }

  partition(topic: string, partition: number): PartitionState | undefined {
    const e = this.partitionStates.get(topic)?.get(partition);
    return e === undefined ? undefined : { ...e.state, replicas: [...e.state.replicas], isr: [...e.state.isr] };
  }

  compareAndSetPartition(topic: string, partition: number, expected: number, next: PartitionChange): Promise<boolean> {
    return this.compareAndSetPartitions([{ topic, partition, expectedPartitionEpoch: expected, next }]);
  }

  async compareAndSetPartitions(changes: readonly PartitionSwap[]): Promise<boolean> {
    if (changes.length === 0) return true;
    const entries: Array<{ key: string; rev: string; value: string }> = [];
    for (const c of changes) {
      const e = this.partitionStates.get(c.topic)?.get(c.partition);
      if (e === undefined || e.state.partitionEpoch !== c.expectedPartitionEpoch) return false;
      entries.push({ key: this.partitionKey(c.topic, c.partition), rev: e.rev, value: JSON.stringify({ ...c.next, partitionEpoch: c.expectedPartitionEpoch + 1 }) });
    }
    const r = await this.commitTxn(entries.length === 1 ? 'change the partition state' : 'change partition states', () => {
      let txn = this.client.if(entries[0]!.key, 'Mod', '==', entries[0]!.rev);
      for (const e of entries.slice(1)) txn = txn.and(e.key, 'Mod', '==', e.rev);
      return txn.then(...entries.map((e) => this.client.put(e.key).value(e.value)));
    });
    return r.succeeded;
  }

  // --- configs and producer ids ---

  brokerConfigs(scope: string): Readonly<Record<string, string>> {
    return this.brokerConfigsByScope.get(scope) ?? {};
  }

  async putBrokerConfigs(scope: string, configs: Record<string, string>): Promise<void> {
    const key = this.p + `configs/brokers/${scope}`;
    await this.write('store the broker configs', async () => {
      const r = Object.keys(configs).length === 0 ? await this.client.delete().key(key).exec() : await this.client.put(key).value(JSON.stringify(configs)).exec();
      await this.caughtUp(Number(r.header.revision));
    });
  }

  private recordKey(kind: RecordKind, key: string): string {
    return `records/${kind}/${encodeURIComponent(key)}`;
  }

  records(kind: RecordKind): ReadonlyMap<string, unknown> {
    return this.keyed.get(kind);
  }

  recordsVersion(kind: RecordKind): number {
    return this.keyed.version(kind);
  }

  async putRecords(kind: RecordKind, changes: readonly KeyedChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.commitTxn('store the records', () =>
      this.client
        .if(this.p + 'cluster-id', 'Create', '>', 0)
        .then(
          ...changes.map((c) => {
            const key = this.p + this.recordKey(kind, c.key);
            return c.value === null || c.value === undefined ? this.client.delete().key(key) : this.client.put(key).value(JSON.stringify(c.value));
          }),
        ),
    );
  }

  async allocateProducerIdBlock(size: number): Promise<number> {
    const key = this.p + 'producer-ids/next';
    return this.write('reserve producer ids', async () => {
      for (;;) {
        const got = await this.client.get(key).exec();
        const kv = got.kvs[0];
        const start = kv === undefined ? 0 : Number(kv.value.toString());
        const cond = kv === undefined ? this.client.if(key, 'Create', '==', 0) : this.client.if(key, 'Mod', '==', kv.mod_revision);
        const r = await cond.then(this.client.put(key).value(String(start + size))).commit();
        if (r.succeeded) return start;
      }
    });
  }

  onChange(listener: (e: MetadataEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    for (const w of this.revisionWaiters.splice(0)) w.resolve();
    await this.watcher?.cancel().catch(() => undefined);
    // A clean departure: the lease goes now, with the registration and any controllership on it.
    if (this.lease !== null && this.isConnected) {
      await Promise.race([this.lease.revoke().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    }
    this.lease?.release();
    this.client.close();
  }
}
