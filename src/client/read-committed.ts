/**
 * Which fetched batches a read_committed consumer may show. The broker returns data only up to
 * the last stable offset and lists, per partition, the aborted transactions that overlap the
 * returned range (producer id and first offset). As in Kafka's Java consumer, a transactional
 * batch is dropped when its producer has an aborted transaction that started at or before the
 * batch's last offset and whose ABORT marker has not been passed yet; that producer's ABORT
 * control batch ends the skipping. Control batches are never shown.
 */
import { decodeControlRecord, type RecordBatch } from '../protocol/records/record-batch.js';
import { committedBatchFlags, type AbortedTransaction } from '../protocol/records/read-committed.js';

export { TRANSACTIONAL_BIT } from '../protocol/records/batch-header.js';
export type { AbortedTransaction };

/** What the filter reads of a batch: its header fields, and the marker record of a control batch. */
export type BatchForFilter = Pick<RecordBatch, 'baseOffset' | 'lastOffsetDelta' | 'attributes' | 'producerId' | 'records'>;

/** True for the batches whose records a read_committed consumer shows, in fetch order. */
export function committedBatches(batches: BatchForFilter[], aborted: AbortedTransaction[] | null): boolean[] {
  return committedBatchFlags(batches, aborted, (b) => b.records[0] !== undefined && !decodeControlRecord(b.records[0]).commit);
}
