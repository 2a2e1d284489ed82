/**
 * What the cleaner knows about transactions while it walks a log in offset order, after Kafka's
 * CleanedTransactionMetadata. Only offsets below the last stable offset are walked, so every
 * transaction met is decided: aborted if the producer state lists it (a `.txnindex` entry),
 * committed otherwise.
 *
 * - A batch of an aborted transaction is dropped.
 * - A batch of a committed transaction is compacted like any other.
 * - A marker may go (once its delete horizon has passed) only if no batch of its transaction was
 *   met in this walk, which starts at the log start: the transaction's data is gone from the log.
 *   A marker whose data this pass removes stays until a later pass, as in Kafka.
 */
import type { AbortedTxn } from './producer-state.js';

/** The producer's last batch (Kafka's lastRecordsOfActiveProducers): kept, if only as a header. */
export interface ProducerLastRecord {
  /** Last offset of the producer's last data batch; null when it has only markers left. */
  lastDataOffset: number | null;
  producerEpoch: number;
}

export class CleanerTxnTracker {
  /** Aborted transactions not yet reached, by first offset. */
  private readonly pending: AbortedTxn[];
  /** Aborted transactions under way, by producer id; `seen` once a batch of it was met. */
  private readonly ongoingAborted = new Map<number, { txn: AbortedTxn; seen: boolean }>();
  /** Producers whose committed transaction had a batch met since their last marker. */
  private readonly ongoingCommitted = new Set<number>();

  constructor(aborted: readonly AbortedTxn[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset).reverse();
  }

  /** A data batch: true if it belongs to an aborted transaction (its records go). */
  onBatch(producerId: number, isTransactional: boolean, lastOffset: number): boolean {
    this.consumeUpTo(lastOffset);
    if (!isTransactional) return false;
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted !== undefined) {
      aborted.seen = true;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /**
   * A marker: true if its transaction has no data left in the log, so the marker may go once
   * its delete horizon has passed.
   */
  onMarker(producerId: number, commit: boolean, lastOffset: number): boolean {
    this.consumeUpTo(lastOffset);
    if (commit) return !this.ongoingCommitted.delete(producerId);
    const aborted = this.ongoingAborted.get(producerId);
    this.ongoingAborted.delete(producerId);
    // A marker of a transaction the producer state does not list as aborted (its entry went
    // with the data) or whose data is all gone.
    return aborted === undefined || !aborted.seen;
  }

  private consumeUpTo(offset: number): void {
    for (let a = this.pending[this.pending.length - 1]; a !== undefined && a.firstOffset <= offset; a = this.pending[this.pending.length - 1]) {
      this.pending.pop();
      if (!this.ongoingAborted.has(a.producerId)) this.ongoingAborted.set(a.producerId, { txn: a, seen: false });
    }
  }
}

/** Whether the batch is its producer's last (or, with no data left, a marker of its epoch). */
export function isProducersLastBatch(
  last: ReadonlyMap<number, ProducerLastRecord>,
  b: { producerId: number; producerEpoch: number; isControl: boolean; lastOffset: number },
): boolean {
  if (b.producerId < 0) return false;
  const r = last.get(b.producerId);
  if (r === undefined) return false;
  return r.lastDataOffset === null ? b.isControl && b.producerEpoch === r.producerEpoch : b.lastOffset === r.lastDataOffset;
}
