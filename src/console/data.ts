/**
 * The questions the console's pages ask of a cluster, answered only through Samsa's client (Admin,
 * Producer, Consumer) over the wire, so the same code serves the broker's own console and
 * `samsa console` against any Kafka cluster.
 */
import { createClient, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type Admin, type Client, type ClientOptions, type ConsumerMessage, type GroupDescription, type PartitionInfo, type Producer } from '../client/index.js';

/** The most messages one browse or tail returns: a page, not a dump. */
export const BROWSE_LIMIT_MAX = 500;
export const BROWSE_LIMIT_DEFAULT = 50;
/** How long a browse waits for records before answering with what it has. */
const BROWSE_WAIT_MS = 1500;

export interface PartitionView extends PartitionInfo {
  startOffset: number;
  endOffset: number;
  /** Bytes on the leader's disk, when DescribeLogDirs answered. */
  sizeBytes: number | null;
}

export interface TopicView {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionView[];
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The committed offset; null when the group committed none for this partition. */
  committed: number | null;
  endOffset: number;
  /** endOffset − committed; null without a committed offset. */
  lag: number | null;
  /** The member that holds it now, if any. */
  memberId: string | null;
  clientId: string | null;
}

export interface GroupLag {
  group: GroupDescription;
  partitions: PartitionLag[];
  totalLag: number;
}

export interface BrowseRequest {
  topic: string;
  partition: number;
  /** An offset to start at; or null for the newest `limit` messages. */
  offset: number | null;
  /** Start at the first message at or after this time (ms), when given (wins over `offset`). */
  timestamp: number | null;
  limit: number;
}

export interface BrowseResult {
  messages: ConsumerMessage[];
  startOffset: number;
  endOffset: number;
  /** The offset after the last message returned: where a tail goes on. */
  nextOffset: number;
}

export class ConsoleData {
  readonly client: Client;
  readonly admin: Admin;
  private producerClient: Producer | null = null;

  constructor(opts: ClientOptions) {
    this.client = createClient({ clientId: 'samsa-console', ...opts });
    this.admin = this.client.admin();
  }

  private get producer(): Producer {
    return (this.producerClient ??= this.client.producer({ acks: -1 }));
  }

  async topicNames(): Promise<string[]> {
    return (await this.admin.listTopics({ includeInternal: true })).sort();
  }

  /** Topics with their partitions' leaders, ISR, offsets and sizes. */
  async topics(names?: string[]): Promise<TopicView[]> {
    const infos = await this.admin.describeTopics(names);
    const leaders = [...new Set(infos.flatMap((t) => t.partitions.map((p) => p.leader)).filter((l) => l >= 0))];
    const sizes = new Map<string, number>();
    try {
      for (const [broker, dirs] of await this.admin.describeLogDirs(leaders))
        for (const d of dirs) for (const r of d.replicas) if (infos.some((t) => t.name === r.topic && t.partitions.some((p) => p.partition === r.partition && p.leader === broker))) sizes.set(`${r.topic}\0${r.partition}`, (sizes.get(`${r.topic}\0${r.partition}`) ?? 0) + r.size);
    } catch {
      // Sizes are a nicety: a cluster that refuses DescribeLogDirs still shows its topics.
    }
    return Promise.all(
      infos
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map(async (t) => ({
          name: t.name,
          topicId: t.topicId,
          isInternal: t.isInternal,
          partitions: await Promise.all(
            [...t.partitions]
              .sort((a, b) => a.partition - b.partition)
              .map(async (p) => {
                const [start, end] = await this.offsets(t.name, p.partition);
                return { ...p, startOffset: start, endOffset: end, sizeBytes: sizes.get(`${t.name}\0${p.partition}`) ?? null };
              }),
          ),
        })),
    );
  }

  /** [log start offset, log end offset] of a partition; [-1, -1] when it has no leader. */
  async offsets(topic: string, partition: number): Promise<[number, number]> {
    try {
      const [start, end] = await Promise.all([this.admin.listOffsets(topic, partition, EARLIEST_TIMESTAMP), this.admin.listOffsets(topic, partition, LATEST_TIMESTAMP)]);
      return [start.offset, end.offset];
    } catch {
      return [-1, -1];
    }
  }

  /** Lag per partition: the log end offset less the committed offset, with the member holding it. */
  async groupLag(groupId: string): Promise<GroupLag> {
    const [group] = await this.admin.describeGroups([groupId]);
    const committed = await this.admin.fetchOffsets(groupId);
    const holder = new Map<string, { memberId: string; clientId: string }>();
    for (const m of group!.members) for (const a of m.assignment) holder.set(`${a.topic}\0${a.partition}`, { memberId: m.memberId, clientId: m.clientId });
    const keys = new Map<string, { topic: string; partition: number; committed: number | null }>();
    for (const o of committed) keys.set(`${o.topic}\0${o.partition}`, { topic: o.topic, partition: o.partition, committed: o.offset });
    for (const m of group!.members) for (const a of m.assignment) if (!keys.has(`${a.topic}\0${a.partition}`)) keys.set(`${a.topic}\0${a.partition}`, { ...a, committed: null });
    const partitions = await Promise.all(
      [...keys.entries()].map(async ([key, k]) => {
        const [, end] = await this.offsets(k.topic, k.partition);
        const h = holder.get(key);
        return { ...k, endOffset: end, lag: k.committed === null || end < 0 ? null : Math.max(0, end - k.committed), memberId: h?.memberId ?? null, clientId: h?.clientId ?? null };
      }),
    );
    partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    return { group: group!, partitions, totalLag: partitions.reduce((s, p) => s + (p.lag ?? 0), 0) };
  }

  /** Reads up to `limit` messages of one partition from where the request says, without a group. */
  async browse(req: BrowseRequest): Promise<BrowseResult> {
    const limit = Math.max(1, Math.min(BROWSE_LIMIT_MAX, req.limit));
    const [startOffset, endOffset] = await this.offsets(req.topic, req.partition);
    let from = req.offset ?? Math.max(startOffset, endOffset - limit);
    if (req.timestamp !== null) {
      const at = await this.admin.listOffsets(req.topic, req.partition, req.timestamp);
      from = at.offset < 0 ? endOffset : at.offset;
    }
    from = Math.max(from, startOffset);
    if (from >= endOffset) return { messages: [], startOffset, endOffset, nextOffset: Math.min(from, endOffset) };
    const consumer = this.client.consumer({ maxWaitMs: 200 });
    const messages: ConsumerMessage[] = [];
    try {
      consumer.assign([{ topic: req.topic, partition: req.partition, offset: from }]);
      const deadline = Date.now() + BROWSE_WAIT_MS;
      while (messages.length < limit && Date.now() < deadline) {
        for (const m of await consumer.poll({ timeoutMs: 300 })) if (messages.length < limit) messages.push(m);
        // Offsets can skip (compaction, transaction markers): the position says when the log end is reached.
        if ((consumer.position(req.topic, req.partition) ?? 0) >= endOffset) break;
      }
    } finally {
      await consumer.close();
    }
    const last = messages.at(-1);
    return { messages, startOffset, endOffset, nextOffset: last === undefined ? from : last.offset + 1 };
  }

  async produce(msg: { topic: string; partition: number | null; key: string | null; value: string | null; headers: Array<[string, string]> }): Promise<{ partition: number; offset: number }> {
    const [result] = await this.producer.send({
      topic: msg.topic,
      messages: [{ key: msg.key, value: msg.value, headers: msg.headers.map(([key, value]) => ({ key, value: Buffer.from(value) })), ...(msg.partition !== null ? { partition: msg.partition } : {}) }],
    });
    return { partition: result!.partition, offset: result!.baseOffset };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
