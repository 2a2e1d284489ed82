/** An in-memory __consumer_offsets and a coordinator over it, driven by a ManualClock. */
import { ManualClock } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { readBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { GroupCoordinator } from '../../../src/coordinator/group/coordinator.js';
import { groupCoordinatorConfig } from '../../../src/coordinator/group/config.js';
import type { OffsetsTopic, OffsetsTopicSpec } from '../../../src/coordinator/group/offsets-topic.js';
import type { JoinGroupArgs } from '../../../src/coordinator/group/join.js';
import { decodeRecord, type CoordinatorRecord } from '../../../src/coordinator/group/records.js';
import type { JoinResult, SyncResult } from '../../../src/coordinator/group/member.js';

/** Batches kept per partition, with offsets assigned as a log would. */
export class MemoryOffsetsTopic implements OffsetsTopic {
  batches: Buffer[][] | null = null;
  ends: number[] = [];
  failAppends = false;
  /** When set, reads wait for it (to observe COORDINATOR_LOAD_IN_PROGRESS). */
  readGate: Promise<void> | null = null;

  constructor(partitions: number | null) {
    if (partitions !== null) this.init(partitions);
  }

  private init(n: number): void {
    this.batches = Array.from({ length: n }, () => []);
    this.ends = new Array<number>(n).fill(0);
  }

  partitionCount(): number | null {
    return this.batches?.length ?? null;
  }

  async create(spec: OffsetsTopicSpec): Promise<void> {
    if (this.batches === null) this.init(spec.partitions);
  }

  async append(partition: number, batch: Buffer): Promise<void> {
    if (this.failAppends) throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, 'appends are failing in this test');
    const copy = Buffer.from(batch);
    copy.writeBigInt64BE(BigInt(this.ends[partition]!), 0);
    this.ends[partition]! += readBatchHeader(copy, 0).lastOffsetDelta + 1;
    this.batches![partition]!.push(copy);
  }

  logStartOffset(): number {
    return 0;
  }

  endOffset(partition: number): number {
    return this.ends[partition]!;
  }

  async read(partition: number, offset: number, maxBytes: number, maxOffset: number): Promise<Buffer> {
    if (this.readGate !== null) await this.readGate;
    const out: Buffer[] = [];
    let bytes = 0;
    for (const b of this.batches![partition]!) {
      const h = readBatchHeader(b, 0);
      if (h.baseOffset + h.lastOffsetDelta < offset || h.baseOffset >= maxOffset) continue;
      if (out.length > 0 && bytes + b.length > maxBytes) break;
      out.push(b);
      bytes += b.length;
    }
    return Buffer.concat(out);
  }

  /** Every record written to a partition, decoded. */
  async records(partition: number): Promise<CoordinatorRecord[]> {
    const out: CoordinatorRecord[] = [];
    for (const batch of await decodeRecordBatches(Buffer.concat(this.batches![partition]!)))
      for (const r of batch.records) out.push(decodeRecord(r.key, r.value)!);
    return out;
  }

  async allRecords(): Promise<CoordinatorRecord[]> {
    const out: CoordinatorRecord[] = [];
    for (let p = 0; p < (this.batches?.length ?? 0); p++) out.push(...(await this.records(p)));
    return out;
  }
}

export interface Harness {
  clock: ManualClock;
  topic: MemoryOffsetsTopic;
  c: GroupCoordinator;
}

let uuid = 0;

export async function harness(opts: { config?: Record<string, string>; topic?: MemoryOffsetsTopic; clock?: ManualClock } = {}): Promise<Harness> {
  const clock = opts.clock ?? new ManualClock();
  const topic = opts.topic ?? new MemoryOffsetsTopic(4);
  const config = groupCoordinatorConfig({ 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '4', ...opts.config });
  const c = new GroupCoordinator({ config, clock, logger: silentLogger, topic, newUuid: () => `uuid-${++uuid}` });
  c.start();
  await c.loaded();
  return { clock, topic, c };
}

/** Moves the clock by `ms`, then lets every timer due and every queued operation run. */
export async function settle(h: Harness, ms = 0): Promise<void> {
  // Requests already made run first, at the current time.
  await h.c.whenIdle();
  h.clock.advance(ms);
  for (let i = 0; i < 5; i++) {
    await h.c.whenIdle();
    h.clock.advance(0);
  }
  await h.c.whenIdle();
}

export const SESSION_MS = 10_000;
export const REBALANCE_MS = 30_000;

/** A consumer-protocol subscription (version 0) to `topics`. */
export function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), int32(topics.length)];
  for (const t of topics) parts.push(int16(Buffer.byteLength(t)), Buffer.from(t));
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export function joinArgs(over: Partial<JoinGroupArgs> = {}): JoinGroupArgs {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    reason: null,
    ...over,
  };
}

/** A promise with a flag telling whether it has settled yet. */
export function track<T>(p: Promise<T>): { promise: Promise<T>; done: () => boolean } {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  return { promise: p, done: () => settled };
}

/** Joins a fresh member and completes the first rebalance of a new group; returns the join result. */
export async function joinAlone(h: Harness, over: Partial<JoinGroupArgs> = {}): Promise<JoinResult> {
  const j = h.c.joinGroup(joinArgs(over));
  await settle(h);
  return j;
}

export async function sync(h: Harness, groupId: string, r: JoinResult, assignments: Array<{ memberId: string; assignment: Buffer }> = []): Promise<SyncResult> {
  return h.c.syncGroup({ groupId, generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments });
}
