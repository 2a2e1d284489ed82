/**
 * Transactional offset commits (TxnOffsetCommit), as Kafka's GroupMetadataManager keeps them: the
 * offsets are written to the group's partition of `__consumer_offsets` in a transactional batch
 * carrying the producer id and epoch, and held as pending until the transaction coordinator writes
 * the COMMIT marker to that partition (then they become the group's committed offsets) or the
 * ABORT marker (then they are dropped). Until then OffsetFetch with require_stable answers
 * UNSTABLE_OFFSET_COMMIT for those partitions.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { validateConsumerOffsetCommit } from './offsets.js';
import { encodeRecordBatch } from '../../protocol/records/record-batch.js';
import type { GroupCoordinator } from './coordinator.js';
import { appendErrorCode } from './coordinator.js';
import type { ClassicGroup } from './group.js';
import { encodeRecord, NO_EXPIRE_TIMESTAMP, type CoordinatorRecord, type OffsetCommitValue } from './records.js';
import type { OffsetToCommit } from './offsets.js';


export interface TxnCommitArgs {
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: OffsetToCommit[];
}

/** Pending offsets of one group: producer id → "topic\0partition" → the offset. */
export type PendingTxnOffsets = Map<number, Map<string, { topic: string; partition: number; value: OffsetCommitValue }>>;

const pendingByGroup = new WeakMap<ClassicGroup, PendingTxnOffsets>();

export function pendingOf(g: ClassicGroup): PendingTxnOffsets {
  let p = pendingByGroup.get(g);
  if (p === undefined) pendingByGroup.set(g, (p = new Map()));
  return p;
}

export function hasPendingOffset(g: ClassicGroup, topic: string, partition: number): boolean {
  const key = `${topic}\0${partition}`;
  for (const byTp of pendingByGroup.get(g)?.values() ?? []) if (byTp.has(key)) return true;
  return false;
}

/** Replays a transactional offset record: held as pending for its producer. */
export function replayPending(c: GroupCoordinator, producerId: number, r: CoordinatorRecord): void {
  if (r.type !== 'offset' || r.value === null) return;
  const g = c.getOrCreateGroup(r.key.group);
  let byTp = pendingOf(g).get(producerId);
  if (byTp === undefined) pendingOf(g).set(producerId, (byTp = new Map()));
  byTp.set(`${r.key.topic}\0${r.key.partition}`, { topic: r.key.topic, partition: r.key.partition, value: r.value });
}

/** A marker was written to `partition` of __consumer_offsets: pending offsets of the producer commit or go. */
export function completeTxn(c: GroupCoordinator, partition: number, producerId: number, commit: boolean): void {
  for (const g of c.groups.values()) {
    if (g.partition !== partition) continue;
    const pending = pendingByGroup.get(g);
    const byTp = pending?.get(producerId);
    if (byTp === undefined) continue;
    pending!.delete(producerId);
    if (commit) for (const o of byTp.values()) g.applyOffsetRecord(o.topic, o.partition, o.value);
  }
}

/** Kafka's validateTxnOffsetCommit: null, or the error. */
function validate(g: ClassicGroup, a: TxnCommitArgs): number | null {
  if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (g.consumer !== null) return validateConsumerOffsetCommit(g.consumer, a, true);
  if (a.generationId >= 0 || a.memberId !== '' || a.groupInstanceId !== null) {
    if (g.isStaticMemberFenced(a.groupInstanceId, a.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!g.has(a.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (a.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
  }
  return null;
}

/** One error per offset, in the order given. */
export async function commitTxnOffsets(c: GroupCoordinator, a: TxnCommitArgs): Promise<number[]> {
  const all = (code: number) => a.offsets.map(() => code);
  const error = c.groupError(a.groupId, 'non-empty');
  if (error !== null) return all(error);
  const g = c.getOrCreateGroup(a.groupId);
  return c.run(g, async () => {
    const invalid = validate(g, a);
    if (invalid !== null) return all(invalid);
    const now = c.clock.now();
    const codes = a.offsets.map((o) => ((o.metadata?.length ?? 0) > c.config.offsetMetadataMaxBytes ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE));
    const records: CoordinatorRecord[] = [];
    a.offsets.forEach((o, i) => {
      if (codes[i] !== ErrorCode.NONE) return;
      records.push({
        type: 'offset',
        key: { group: g.groupId, topic: o.topic, partition: o.partition },
        value: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestamp: BigInt(now), expireTimestamp: NO_EXPIRE_TIMESTAMP },
      });
    });
    if (records.length === 0) return codes;
    let written: number = ErrorCode.NONE;
    if (c.isStopped) written = ErrorCode.NOT_COORDINATOR;
    else {
      try {
        const batch = await encodeRecordBatch(records.map(encodeRecord), {
          timestamp: now,
          producerId: a.producerId,
          producerEpoch: a.producerEpoch,
          baseSequence: c.topic.nextSequence?.(g.partition, a.producerId, a.producerEpoch) ?? 0,
          transactional: true,
        });
        await c.topic.append(g.partition, batch);
      } catch (err) {
        written = appendErrorCode(err, 'offsets');
        c.logger.warn('writing transactional offsets to __consumer_offsets failed', { group: g.groupId, code: written, err });
      }
    }
    if (written === ErrorCode.NONE) for (const r of records) replayPending(c, a.producerId, r);
    return codes.map((x) => (x === ErrorCode.NONE ? written : x));
  });
}
