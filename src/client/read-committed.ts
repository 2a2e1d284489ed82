/**
 * Which fetched batches a read_committed consumer may show. The broker returns data only up to
 * the last stable offset and lists, per partition, the aborted transactions that overlap the
 * returned range (producer id and first offset). As in Kafka's Java consumer, a transactional
 * batch is dropped when its producer has an aborted transaction that started at or before the
 * batch's last offset and whose ABORT marker has not been passed yet; that producer's ABORT
 * control batch ends the skipping. Control batches are never shown.
 */
import { CONTROL_BIT } from '../protocol/records/batch-header.js';
import { decodeControlRecord, type RecordBatch } from '../protocol/records/record-batch.js';

/** Batch attribute bit 4: written inside a transaction. */
export const TRANSACTIONAL_BIT = 0x10;

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

/** What the filter reads of a batch: its header fields, and the marker record of a control batch. */
export type BatchForFilter = Pick<RecordBatch, 'baseOffset' | 'lastOffsetDelta' | 'attributes' | 'producerId' | 'records'>;

/** True for the batches whose records a read_committed consumer shows, in fetch order. */
export function committedBatches(batches: BatchForFilter[], aborted: AbortedTransaction[] | null): boolean[] {
  // Aborted transactions in order of their first offset, consumed as batches pass them.
  const pending = [...(aborted ?? [])].sort((a, b) => a.firstOffset - b.firstOffset);
  let next = 0;
  const abortingProducers = new Set<number>();
  return batches.map((batch) => {
    const lastOffset = batch.baseOffset + batch.lastOffsetDelta;
    const transactional = (batch.attributes & TRANSACTIONAL_BIT) !== 0;
    // Markers pass aborted transactions too, so a marker read first cannot leave one behind.
    if (transactional) {
      while (next < pending.length && pending[next]!.firstOffset <= lastOffset) abortingProducers.add(pending[next++]!.producerId);
    }
    if ((batch.attributes & CONTROL_BIT) !== 0) {
      const record = batch.records[0];
      if (transactional && record !== undefined && !decodeControlRecord(record).commit) abortingProducers.delete(batch.producerId);
      return false;
    }
    if (!transactional) return true;
    return !abortingProducers.has(batch.producerId);
  });
}
