/**
 * The metadata of a single broker (topics, their ids, partition counts and configs), kept as a
 * log of JSON records in the data directory. State changes in memory in one synchronous turn,
 * then the record is appended and fsynced before the caller hears it is done; on open the log is
 * replayed and rewritten as a compact snapshot (temp file + rename, so a crash leaves one or the
 * other).
 */
import { open, readFile, rename, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../util/logger.js';
import { KeyedRecords, type KeyedChange, type RecordKind } from './store/keyed-records.js';

export interface TopicMetadata {
  name: string;
  /** Kafka's text form of the topic's UUID. */
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

type MetadataRecord =
  | { type: 'topic'; topic: TopicMetadata }
  | { type: 'delete-topic'; name: string }
  /** Dynamic broker configs: scope '' is the cluster-wide default, else a broker id. The set replaces the last one. */
  | { type: 'broker-config'; scope: string; configs: Record<string, string> }
  /** Producer ids below `next` have been handed out in blocks (InitProducerId); never reused. */
  | { type: 'producer-id-block'; next: number }
  /** A batch of keyed records (SCRAM credentials, ACLs, quotas); a null value deletes. */
  | { type: 'records'; kind: RecordKind; changes: KeyedChange[] };

const FILE_NAME = 'samsa-metadata.jsonl';

/** A random topic id: 16 bytes, never all zero (zero means "no id" on the wire). */
export function newTopicId(): string {
  for (;;) {
    const b = randomBytes(16);
    if (b.some((x) => x !== 0)) return b.toString('base64url');
  }
}

export class LocalMetadataStore {
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  private readonly brokerConfigsByScope = new Map<string, Record<string, string>>();
  private nextProducerIdBlock = 0;
  private readonly keyed = new KeyedRecords();
  private file: FileHandle | null = null;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, logger: Logger): Promise<LocalMetadataStore> {
    await mkdir(dir, { recursive: true });
    const store = new LocalMetadataStore(join(dir, FILE_NAME), logger);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      try {
        this.replay(JSON.parse(line) as MetadataRecord);
      } catch {
        // Only the last line can be torn by a crash mid-append; anything else is damage.
        if (i < lines.length - 2) throw new Error(`${this.path}: line ${i + 1} is not a valid metadata record`);
        this.logger.warn('dropping a torn record at the end of the metadata log', { path: this.path, line: i + 1 });
      }
    }
    await this.writeSnapshot();
    this.file = await open(this.path, 'a');
  }

  private replay(rec: MetadataRecord): void {
    if (rec.type === 'topic') {
      const old = this.byName.get(rec.topic.name);
      if (old !== undefined) this.byId.delete(old.topicId);
      this.byName.set(rec.topic.name, rec.topic);
      this.byId.set(rec.topic.topicId, rec.topic);
    } else if (rec.type === 'delete-topic') {
      const old = this.byName.get(rec.name);
      if (old !== undefined) this.byId.delete(old.topicId);
      this.byName.delete(rec.name);
    } else if (rec.type === 'broker-config') {
      if (Object.keys(rec.configs).length === 0) this.brokerConfigsByScope.delete(rec.scope);
      else this.brokerConfigsByScope.set(rec.scope, rec.configs);
    } else if (rec.type === 'producer-id-block') {
      this.nextProducerIdBlock = Math.max(this.nextProducerIdBlock, rec.next);
    } else if (rec.type === 'records') {
      this.keyed.apply(rec.kind, rec.changes);
    }
  }

  private async writeSnapshot(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      const records: MetadataRecord[] = [
        ...[...this.byName.values()].map((topic): MetadataRecord => ({ type: 'topic', topic })),
        ...[...this.brokerConfigsByScope].map(([scope, configs]): MetadataRecord => ({ type: 'broker-config', scope, configs })),
        ...[...this.keyed.entries()].map((e): MetadataRecord => ({ type: 'records', kind: e.kind, changes: [{ key: e.key, value: e.value }] })),
        ...(this.nextProducerIdBlock > 0 ? [{ type: 'producer-id-block', next: this.nextProducerIdBlock } as MetadataRecord] : []),
      ];
      const text = records.map((r) => JSON.stringify(r) + '\n').join('');
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }

  private persist(rec: MetadataRecord): Promise<void> {
    const line = JSON.stringify(rec) + '\n';
    const next = this.chain.then(async () => {
      if (this.file === null) throw new Error('metadata store is closed');
      await this.file.write(line);
      await this.file.datasync();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  topics(): IterableIterator<TopicMetadata> {
    return this.byName.values();
  }

  topic(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    return this.byId.get(topicId);
  }

  /** The dynamic broker configs of a scope ('' = cluster-wide default, else a broker id). */
  brokerConfigs(scope: string): Readonly<Record<string, string>> {
    return this.brokerConfigsByScope.get(scope) ?? {};
  }

  /** Replaces a scope's dynamic broker configs; resolves once the change is on disk. */
  putBrokerConfigs(scope: string, configs: Record<string, string>): Promise<void> {
    const rec: MetadataRecord = { type: 'broker-config', scope, configs: { ...configs } };
    this.replay(rec);
    return this.persist(rec);
  }

  records(kind: RecordKind): ReadonlyMap<string, unknown> {
    return this.keyed.get(kind);
  }

  recordsVersion(kind: RecordKind): number {
    return this.keyed.version(kind);
  }

  /** Puts and deletes (null) a batch of a kind's records together; resolves once on disk. */
  putRecords(kind: RecordKind, changes: readonly KeyedChange[]): Promise<void> {
    const rec: MetadataRecord = { type: 'records', kind, changes: structuredClone([...changes]) };
    this.replay(rec);
    return this.persist(rec);
  }

  /** Records a new or changed topic; resolves once the change is on disk. */
  putTopic(topic: TopicMetadata): Promise<void> {
    const rec: MetadataRecord = { type: 'topic', topic: { ...topic, configs: { ...topic.configs } } };
    this.replay(rec);
    return this.persist(rec);
  }

  deleteTopic(name: string): Promise<void> {
    const rec: MetadataRecord = { type: 'delete-topic', name };
    this.replay(rec);
    return this.persist(rec);
  }

  /**
   * Reserves the next `size` producer ids and returns the first; resolves once the reservation
   * is on disk, so a restart never hands out an id twice.
   */
  async allocateProducerIdBlock(size: number): Promise<number> {
    const start = this.nextProducerIdBlock;
    const rec: MetadataRecord = { type: 'producer-id-block', next: start + size };
    this.replay(rec);
    await this.persist(rec);
    return start;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.file?.close();
    this.file = null;
  }
}
