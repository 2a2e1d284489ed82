/**
 * A share consumer (KIP-932, "queues for Kafka"): members of a share group read the same
 * partitions together, each record delivered to one member at a time under an acquisition lock,
 * and acknowledged one by one — ACCEPT (done), RELEASE (give it to someone else now) or REJECT
 * (never again); a record not acknowledged before its lock runs out is delivered again, up to the
 * group's delivery count limit. As Kafka's KafkaShareConsumer:
 *
 * - `subscribe(topics)`, then `poll()`: ShareGroupHeartbeat to the group's coordinator (the
 *   broker assigns), ShareFetch to each assigned partition's leader with a share session per
 *   leader; acknowledgements ride on the next ShareFetch, or go out with `commitSync()`.
 * - `acknowledgementMode: 'implicit'` (default): every record of a poll is ACCEPTed at the next
 *   poll (or commit, or close). `'explicit'`: the application acknowledges each record with
 *   `acknowledge(record, type)` before it polls again; one left unacknowledged is an error.
 * - `close()` sends what is acknowledged, releases the rest and leaves the group.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ShareFetchRequest, ShareFetchResponse } from '../protocol/messages/78-share-fetch.js';
import type { ShareAcknowledgeRequest, ShareAcknowledgeResponse } from '../protocol/messages/79-share-acknowledge.js';
import type { ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse } from '../protocol/messages/76-share-group-heartbeat.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import type { Connection } from './connection.js';
import type { ConsumerMessage } from './consumer.js';
import { InvalidArgumentError } from './errors.js';
import { decodeBatchInto, wholeBatches } from './fetch-records.js';
import { CONTROL_BIT } from '../protocol/records/batch-header.js';
import { CoordinatorLink } from './group/coordinator-link.js';

const HEARTBEAT_KEY = 76;
const SHARE_FETCH_KEY = 78;
const SHARE_ACK_KEY = 79;

export type AcknowledgeType = 'accept' | 'release' | 'reject';
const ACK_CODE: Record<AcknowledgeType, number> = { accept: 1, release: 2, reject: 3 };

export interface ShareConsumerOptions {
  groupId: string;
  /** 'implicit' (default): a poll accepts the records of the one before; 'explicit': acknowledge each. */
  acknowledgementMode?: 'implicit' | 'explicit';
  /** Most records one ShareFetch acquires (Kafka's max.poll.records, 500). */
  maxRecords?: number;
  /** How long a ShareFetch waits for records (Kafka's fetch.max.wait.ms, 500). */
  maxWaitMs?: number;
}

/** A record delivered to this member, with how many times it has been delivered (1 the first time). */
export interface ShareRecord extends ConsumerMessage {
  deliveryCount: number;
}

interface Session {
  epoch: number;
  /** Partitions the session holds, as `${topicId}:${partition}`. */
  partitions: Set<string>;
}

interface Pending {
  topic: string;
  partition: number;
  offset: number;
  type: number;
}

export class ShareConsumer {
  private readonly cluster: Cluster;
  private readonly link: CoordinatorLink;
  private readonly memberId = randomBytes(16).toString('base64url');
  private readonly mode: 'implicit' | 'explicit';
  private memberEpoch = 0;
  private subscription: string[] = [];
  private assignment: Array<{ topicId: string; topic: string; partition: number }> = [];
  private nextHeartbeatAt = 0;
  private intervalMs = 5000;
  private readonly sessions = new Map<number, Session>();
  /** Records of the last poll not yet acknowledged, by `${topic}:${partition}:${offset}`. */
  private readonly delivered = new Map<string, ShareRecord>();
  private pending: Pending[] = [];
  private readonly topicIds = new Map<string, string>();
  private closed = false;

  constructor(
    clusterOpts: ClusterOptions,
    private readonly opts: ShareConsumerOptions,
  ) {
    if (!opts.groupId) throw new InvalidArgumentError('A share consumer needs a groupId.');
    this.mode = opts.acknowledgementMode ?? 'implicit';
    if (this.mode !== 'implicit' && this.mode !== 'explicit') throw new InvalidArgumentError(`acknowledgementMode must be 'implicit' or 'explicit', not '${String(this.mode)}'.`);
    this.cluster = new Cluster(clusterOpts);
    this.link = new CoordinatorLink(this.cluster, opts.groupId);
  }

  subscribe(topics: string[]): void {
    this.subscription = [...new Set(topics)].sort();
    this.nextHeartbeatAt = 0;
  }

  /** The partitions the broker gave this member. */
  assigned(): Array<{ topic: string; partition: number }> {
    return this.assignment.map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Acknowledges a record of the last poll; sent with the next poll or commitSync. */
  acknowledge(record: ShareRecord, type: AcknowledgeType = 'accept'): void {
    const key = `${record.topic}:${record.partition}:${record.offset}`;
    if (!this.delivered.delete(key)) throw new InvalidArgumentError(`${record.topic}-${record.partition}@${record.offset} is not a record of the last poll, or was acknowledged already.`);
    if (ACK_CODE[type] === undefined) throw new InvalidArgumentError(`type must be accept, release or reject, not '${String(type)}'.`);
    this.pending.push({ topic: record.topic, partition: record.partition, offset: record.offset, type: ACK_CODE[type] });
  }

  /** Records acquired for this member: each must be acknowledged (explicitly, or by the next poll in implicit mode). */
  async poll(opts: { timeoutMs?: number } = {}): Promise<ShareRecord[]> {
    if (this.closed) throw new InvalidArgumentError('This share consumer was closed; create a new one.');
    this.settleDelivered('poll');
    const deadline = Date.now() + (opts.timeoutMs ?? 1000);
    for (;;) {
      await this.heartbeatIfDue();
      const records = this.assignment.length === 0 ? [] : await this.fetchRound(Math.max(0, Math.min(this.opts.maxWaitMs ?? 500, deadline - Date.now())));
      if (records.length > 0 || Date.now() >= deadline) {
        for (const r of records) this.delivered.set(`${r.topic}:${r.partition}:${r.offset}`, r);
        return records;
      }
      if (this.assignment.length === 0) await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
    }
  }

  /** Sends the acknowledgements made so far (ShareAcknowledge) and waits for the broker's answer. */
  async commitSync(): Promise<void> {
    this.settleDelivered('commit');
    const byLeader = await this.pendingByLeader();
    this.pending = [];
    for (const [leader, topics] of byLeader) {
      const session = this.sessions.get(leader);
      if (session === undefined || session.epoch === 0) {
        // No session with that leader yet: the acknowledgements ride on the fetch that opens one.
        for (const t of topics) for (const p of t.partitions) this.requeue(t.topicId, p);
        continue;
      }
      const conn = await this.cluster.connectionTo(leader);
      const resp = await conn.request<ShareAcknowledgeRequest, ShareAcknowledgeResponse>(SHARE_ACK_KEY, conn.versionFor(SHARE_ACK_KEY, 1, 1), {
        groupId: this.opts.groupId, memberId: this.memberId, shareSessionEpoch: this.nextEpoch(session), isRenewAck: false, topics,
      } as ShareAcknowledgeRequest);
      if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, resp.errorMessage ?? `ShareAcknowledge failed: ${errorName(resp.errorCode)}`);
      for (const t of resp.responses) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, p.errorMessage ?? `Acknowledging failed: ${errorName(p.errorCode)}`);
    }
  }

  /** Implicit mode accepts what the last poll delivered; explicit mode insists every record was acknowledged. */
  private settleDelivered(what: string): void {
    if (this.delivered.size === 0) return;
    if (this.mode === 'explicit' && what === 'poll') {
      throw new InvalidArgumentError(`${this.delivered.size} record(s) of the last poll are not acknowledged: in explicit mode acknowledge each one (accept, release or reject) before polling again.`);
    }
    for (const r of this.delivered.values()) this.pending.push({ topic: r.topic, partition: r.partition, offset: r.offset, type: what === 'close' && this.mode === 'explicit' ? ACK_CODE.release : ACK_CODE.accept });
    this.delivered.clear();
  }

  /** The session epoch of the next request (0 opens the session), moving it on (after 2^31−1 comes 1). */
  private nextEpoch(s: Session): number {
    const epoch = s.epoch;
    s.epoch = epoch === 2147483647 ? 1 : epoch + 1;
    return epoch;
  }

  private async heartbeatIfDue(): Promise<void> {
    if (Date.now() < this.nextHeartbeatAt && this.memberEpoch > 0) return;
    const conn = await this.link.connection();
    const resp = await conn.request<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>(HEARTBEAT_KEY, conn.versionFor(HEARTBEAT_KEY, 1, 1), {
      groupId: this.opts.groupId, memberId: this.memberId, memberEpoch: this.memberEpoch, rackId: null,
      subscribedTopicNames: this.memberEpoch === 0 || this.nextHeartbeatAt === 0 ? this.subscription : null,
    } as ShareGroupHeartbeatRequest);
    if (resp.errorCode !== ErrorCode.NONE) {
      if (this.link.gone(new KafkaError(resp.errorCode, '')) || resp.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
        this.nextHeartbeatAt = 0;
        return;
      }
      if (resp.errorCode === ErrorCode.FENCED_MEMBER_EPOCH || resp.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberEpoch = 0;
        this.nextHeartbeatAt = 0;
        return;
      }
      throw new KafkaError(resp.errorCode, resp.errorMessage ?? `ShareGroupHeartbeat for '${this.opts.groupId}' failed: ${errorName(resp.errorCode)}`);
    }
    this.memberEpoch = resp.memberEpoch;
    if (resp.heartbeatIntervalMs > 0) this.intervalMs = resp.heartbeatIntervalMs;
    this.nextHeartbeatAt = Date.now() + this.intervalMs;
    if (resp.assignment !== null) {
      const snap = await this.cluster.refresh(this.subscription);
      const names = new Map(snap.topics.map((t) => [t.topicId, t.name]));
      for (const t of snap.topics) this.topicIds.set(t.name, t.topicId);
      this.assignment = resp.assignment.topicPartitions.flatMap((t) => {
        const topic = names.get(t.topicId);
        return topic === undefined ? [] : t.partitions.map((partition) => ({ topicId: t.topicId, topic, partition }));
      });
    }
  }

  /** Acknowledgements waiting, grouped by the leader of their partition, in ShareFetch/ShareAcknowledge's shape. */
  private async pendingByLeader(): Promise<Map<number, Array<{ topicId: string; partitions: Array<{ partitionIndex: number; acknowledgementBatches: Array<{ firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }> }> }>>> {
    const out = new Map<number, Map<string, Map<number, Pending[]>>>();
    for (const p of this.pending) {
      const leader = await this.cluster.leaderFor(p.topic, p.partition);
      const topicId = this.topicIds.get(p.topic)!;
      let byTopic = out.get(leader);
      if (byTopic === undefined) out.set(leader, (byTopic = new Map()));
      let byPartition = byTopic.get(topicId);
      if (byPartition === undefined) byTopic.set(topicId, (byPartition = new Map()));
      let list = byPartition.get(p.partition);
      if (list === undefined) byPartition.set(p.partition, (list = []));
      list.push(p);
    }
    return new Map(
      [...out].map(([leader, byTopic]) => [
        leader,
        [...byTopic].map(([topicId, byPartition]) => ({
          topicId,
          partitions: [...byPartition].map(([partitionIndex, list]) => ({
            partitionIndex,
            acknowledgementBatches: list.sort((a, b) => a.offset - b.offset).map((p) => ({ firstOffset: p.offset, lastOffset: p.offset, acknowledgeTypes: [p.type] })),
          })),
        })),
      ]),
    );
  }

  /** One ShareFetch per leader of the assignment (acknowledgements riding along); the records acquired. */
  private async fetchRound(maxWaitMs: number): Promise<ShareRecord[]> {
    const acks = await this.pendingByLeader();
    this.pending = [];
    const byLeader = new Map<number, Array<{ topicId: string; topic: string; partition: number }>>();
    for (const a of this.assignment) {
      const leader = await this.cluster.leaderFor(a.topic, a.partition);
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push(a);
    }
    for (const leader of acks.keys()) if (!byLeader.has(leader)) byLeader.set(leader, []);
    const rounds = await Promise.all([...byLeader].map(([leader, parts]) => this.fetchFrom(leader, parts, acks.get(leader) ?? [], maxWaitMs)));
    return rounds.flat();
  }

  private async fetchFrom(
    leader: number,
    parts: Array<{ topicId: string; topic: string; partition: number }>,
    acks: Array<{ topicId: string; partitions: Array<{ partitionIndex: number; acknowledgementBatches: Array<{ firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }> }> }>,
    maxWaitMs: number,
  ): Promise<ShareRecord[]> {
    const conn: Connection = await this.cluster.connectionTo(leader);
    let session = this.sessions.get(leader);
    const opening = session === undefined;
    if (session === undefined) this.sessions.set(leader, (session = { epoch: 0, partitions: new Set() }));
    // A session opens with the partitions alone (acknowledgements cannot open one); later ones name only what changed.
    const wanted = new Set(parts.map((p) => `${p.topicId}:${p.partition}`));
    const topics = new Map<string, Map<number, Array<{ firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }>>>();
    for (const p of parts) if (opening || !session.partitions.has(`${p.topicId}:${p.partition}`)) topics.set(p.topicId, (topics.get(p.topicId) ?? new Map()).set(p.partition, []));
    if (!opening) for (const t of acks) for (const p of t.partitions) topics.set(t.topicId, (topics.get(t.topicId) ?? new Map()).set(p.partitionIndex, p.acknowledgementBatches));
    const forgotten = [...session.partitions].filter((k) => !wanted.has(k));
    const epoch = this.nextEpoch(session);
    const resp = await conn.request<ShareFetchRequest, ShareFetchResponse>(SHARE_FETCH_KEY, conn.versionFor(SHARE_FETCH_KEY, 1, 1), {
      groupId: this.opts.groupId, memberId: this.memberId, shareSessionEpoch: epoch, maxWaitMs, minBytes: 1, maxBytes: 52_428_800,
      maxRecords: this.opts.maxRecords ?? 500, batchSize: this.opts.maxRecords ?? 500, shareAcquireMode: 0, isRenewAck: false,
      topics: [...topics].map(([topicId, ps]) => ({ topicId, partitions: [...ps].map(([partitionIndex, acknowledgementBatches]) => ({ partitionIndex, partitionMaxBytes: 1_048_576, acknowledgementBatches })) })),
      forgottenTopicsData: groupForgotten(forgotten),
    } as ShareFetchRequest);
    session.partitions = wanted;
    if (resp.errorCode !== ErrorCode.NONE) {
      // A lost session is opened again at the next poll; what was acquired in it goes back when its locks run out.
      if (resp.errorCode === ErrorCode.SHARE_SESSION_NOT_FOUND || resp.errorCode === ErrorCode.INVALID_SHARE_SESSION_EPOCH) {
        this.sessions.delete(leader);
        return [];
      }
      throw new KafkaError(resp.errorCode, resp.errorMessage ?? `ShareFetch failed: ${errorName(resp.errorCode)}`);
    }
    if (opening && acks.length > 0) for (const t of acks) for (const p of t.partitions) this.requeue(t.topicId, p);
    const names = new Map(parts.map((p) => [p.topicId, p.topic]));
    const out: ShareRecord[] = [];
    for (const t of resp.responses) {
      const topic = names.get(t.topicId) ?? [...this.topicIds].find(([, id]) => id === t.topicId)?.[0];
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          const err = new KafkaError(p.errorCode, p.errorMessage ?? `ShareFetch of ${topic}-${p.partitionIndex} failed: ${errorName(p.errorCode)}`);
          if (!err.retriable) throw err;
          this.cluster.invalidate(topic);
          continue;
        }
        if (p.records === null || p.records.length === 0 || p.acquiredRecords.length === 0) continue;
        const decoded: ConsumerMessage[] = [];
        for (const batch of wholeBatches(p.records)) {
          if ((batch.attributes & CONTROL_BIT) !== 0) continue;
          await decodeBatchInto(p.records, batch, { topic, partition: p.partitionIndex, minOffset: 0 }, decoded);
        }
        for (const m of decoded) {
          const range = p.acquiredRecords.find((r) => m.offset >= r.firstOffset && m.offset <= r.lastOffset);
          if (range !== undefined) out.push({ ...m, deliveryCount: range.deliveryCount });
        }
      }
    }
    return out;
  }

  /** Acknowledgements that could not ride on a fetch opening a session go with the next one. */
  private requeue(topicId: string, p: { partitionIndex: number; acknowledgementBatches: Array<{ firstOffset: number; acknowledgeTypes: number[] }> }): void {
    const topic = [...this.topicIds].find(([, id]) => id === topicId)?.[0];
    if (topic === undefined) return;
    for (const b of p.acknowledgementBatches) this.pending.push({ topic, partition: p.partitionIndex, offset: b.firstOffset, type: b.acknowledgeTypes[0]! });
  }

  /** Sends what was acknowledged (implicit mode: accepts the last poll; explicit: releases what was not acknowledged), leaves the group. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.settleDelivered('close');
      await this.commitSync().catch(() => undefined);
      for (const [leader, session] of this.sessions) {
        const conn = await this.cluster.connectionTo(leader).catch(() => null);
        await conn?.request<ShareAcknowledgeRequest, ShareAcknowledgeResponse>(SHARE_ACK_KEY, conn.versionFor(SHARE_ACK_KEY, 1, 1), {
          groupId: this.opts.groupId, memberId: this.memberId, shareSessionEpoch: -1, isRenewAck: false, topics: [],
        } as ShareAcknowledgeRequest).catch(() => undefined);
        session.partitions.clear();
      }
      if (this.memberEpoch > 0) {
        const conn = await this.link.connection();
        await conn.request<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>(HEARTBEAT_KEY, conn.versionFor(HEARTBEAT_KEY, 1, 1), {
          groupId: this.opts.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null,
        } as ShareGroupHeartbeatRequest).catch(() => undefined);
      }
    } finally {
      this.closed = true;
      await this.link.close();
      await this.cluster.close();
    }
  }
}

function groupForgotten(keys: string[]): Array<{ topicId: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>();
  for (const k of keys) {
    const i = k.lastIndexOf(':');
    const topicId = k.slice(0, i);
    const list = byTopic.get(topicId) ?? [];
    list.push(Number(k.slice(i + 1)));
    byTopic.set(topicId, list);
  }
  return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions }));
}
