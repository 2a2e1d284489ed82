/**
 * How the consumer asks for records and reads the answer, apart from the consumer's state: the
 * Fetch request for a set of positions (sessionless, each request starting one partition further
 * on so a busy first partition cannot starve the others), and one partition's answer decoded into
 * messages — transaction markers skipped, aborted and still-open transactions left out under
 * read_committed — with the position after it.
 */
import { CONTROL_BIT } from '../protocol/records/batch-header.js';
import type { Record } from '../protocol/records/record-batch.js';
import type { FetchRequest, FetchResponsePartitionData } from '../protocol/messages/01-fetch.js';
import { ZERO_UUID_STRING } from '../protocol/writer.js';
import type { ConsumerMessage } from './consumer-options.js';
import { controlRecords, decodeBatchInto, wholeBatches, type FetchedBatch } from './fetch-records.js';
import { committedBatches, type BatchForFilter } from './read-committed.js';

export interface FetchPosition {
  topic: string;
  partition: number;
  fetchOffset: number;
}

/** A fetched batch; under read_committed, with its records when it is a control batch (else none). */
type FilteredBatch = FetchedBatch & { records?: Record[] };

/** The Fetch for these positions, rotated by `rotation` (a counter the caller moves on). */
export function buildFetchRequest(
  positions: FetchPosition[],
  rotation: number,
  o: { maxWaitMs: number; minBytes: number; maxBytes: number; partitionMaxBytes: number; isolationLevel: number },
): FetchRequest {
  // The broker fills partitions in request order until maxBytes is reached, so each request
  // starts one partition further on (in topic-partition order).
  const ordered = [...positions].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const start = ordered.length === 0 ? 0 : rotation % ordered.length;
  const byTopic = new Map<string, FetchPosition[]>();
  for (const t of [...ordered.slice(start), ...ordered.slice(0, start)]) {
    let list = byTopic.get(t.topic);
    if (list === undefined) byTopic.set(t.topic, (list = []));
    list.push(t);
  }
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: o.maxWaitMs,
    minBytes: o.minBytes,
    maxBytes: o.maxBytes,
    isolationLevel: o.isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...byTopic].map(([topic, list]) => ({
      topic,
      topicId: ZERO_UUID_STRING,
      partitions: list.map((t) => ({
        partition: t.partition,
        currentLeaderEpoch: -1,
        fetchOffset: t.fetchOffset,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: o.partitionMaxBytes,
        replicaDirectoryId: ZERO_UUID_STRING,
      })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** One partition's records from `fetchOffset` on, and the position after them. Awaits only to decompress. */
export async function decodePartition(
  p: FetchResponsePartitionData,
  topic: string,
  partition: number,
  fetchOffset: number,
  readCommitted: boolean,
): Promise<{ decoded: ConsumerMessage[]; position: number }> {
  const buf = p.records!;
  const batches: FilteredBatch[] = wholeBatches(buf);
  if (readCommitted) {
    for (const b of batches) b.records = (b.attributes & CONTROL_BIT) !== 0 ? await controlRecords(buf, b) : [];
  }
  const shown = readCommitted ? committedBatches(batches as BatchForFilter[], p.abortedTransactions) : null;
  const decoded: ConsumerMessage[] = [];
  let position = fetchOffset;
  let stopped = false;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i]!;
    const lastOffset = batch.baseOffset + batch.lastOffsetDelta;
    // Nothing at or past the last stable offset is read while its transaction is open.
    if (readCommitted && p.lastStableOffset >= 0 && lastOffset >= p.lastStableOffset) stopped = true;
    // Control batches (transaction markers) take an offset but are never shown; every batch is checked.
    const control = (batch.attributes & CONTROL_BIT) !== 0;
    const show = !stopped && !control && (shown === null || shown[i] === true);
    // Control batches were checked above under read_committed.
    if (!(control && readCommitted)) {
      // A fetch may return a batch that starts before the requested offset.
      await decodeBatchInto(buf, batch, { topic, partition, minOffset: show ? position : Infinity }, decoded);
    }
    if (!stopped && lastOffset + 1 > position) position = lastOffset + 1;
  }
  return { decoded, position };
}
