/**
 * Which batches of a read up to the last stable offset a read_committed reader may take. The
 * broker lists, per partition, the aborted transactions that overlap the returned range
 * (producer id and first offset). As in Kafka's Java consumer, a transactional batch is dropped
 * when its producer has an aborted transaction that started at or before the batch's last offset
 * and whose ABORT marker has not been passed yet; that producer's ABORT control batch ends the
 * skipping. Control batches are never taken. Used by Samsa's consumer and by share groups with
 * share.isolation.level=read_committed.
 */
import { CONTROL_BIT, TRANSACTIONAL_BIT } from './batch-header.js';

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

/** What the filter reads of a batch: its header fields. */
export interface BatchHeaderForFilter {
  baseOffset: number;
  lastOffsetDelta: number;
  attributes: number;
  producerId: number;
}

/** True for the batches a read_committed reader takes, in read order; `isAbortMarker` tells a control batch's marker. */
export function committedBatchFlags<B extends BatchHeaderForFilter>(batches: readonly B[], aborted: readonly AbortedTransaction[] | null, isAbortMarker: (b: B) => boolean): boolean[] {
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
      if (transactional && isAbortMarker(batch)) abortingProducers.delete(batch.producerId);
      return false;
    }
    if (!transactional) return true;
    return !abortingProducers.has(batch.producerId);
  });
}
