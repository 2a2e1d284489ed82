/**
 * Loading one partition of `__consumer_offsets`: read every batch from the log start to the end,
 * decode each record and replay it, in log order. Transactional offset commits count only once
 * their transaction's commit marker is read; an abort marker drops them.
 */
import { decodeRecordBatches, decodeControlRecord } from '../../protocol/records/record-batch.js';
import { CONTROL_BIT, TRANSACTIONAL_BIT } from '../../protocol/records/batch-header.js';
import type { Logger } from '../../util/logger.js';
import type { OffsetsTopic } from './offsets-topic.js';
import { decodeRecord, CoordinatorRecordError, type CoordinatorRecord } from './records.js';

export interface LoadOptions {
  topic: OffsetsTopic;
  partition: number;
  bufferBytes: number;
  replay: (record: CoordinatorRecord) => void;
  /** Transactional offsets whose marker is not in the log yet: held as pending. */
  replayPending?: (producerId: number, record: CoordinatorRecord) => void;
  /** Checked between reads, so that a broker stopping mid-load does not wait for the end. */
  isCancelled: () => boolean;
  logger: Logger;
}

export interface LoadStats {
  records: number;
  skipped: number;
  endOffset: number;
}

export async function loadPartition(o: LoadOptions): Promise<LoadStats> {
  const stats: LoadStats = { records: 0, skipped: 0, endOffset: o.topic.endOffset(o.partition) };
  const pendingTxn = new Map<number, CoordinatorRecord[]>();
  let offset = o.topic.logStartOffset(o.partition);
  while (offset < stats.endOffset && !o.isCancelled()) {
    const bytes = await o.topic.read(o.partition, offset, o.bufferBytes, stats.endOffset);
    const batches = await decodeRecordBatches(bytes);
    if (batches.length === 0) break;
    for (const batch of batches) {
      const next = batch.baseOffset + batch.lastOffsetDelta + 1;
      if (next <= offset) continue;
      offset = next;
      const transactional = (batch.attributes & TRANSACTIONAL_BIT) !== 0;
      if ((batch.attributes & CONTROL_BIT) !== 0) {
        const held = pendingTxn.get(batch.producerId) ?? [];
        pendingTxn.delete(batch.producerId);
        if (batch.records[0] !== undefined && decodeControlRecord(batch.records[0]).commit) for (const r of held) apply(r);
        continue;
      }
      for (const rec of batch.records) {
        let decoded: CoordinatorRecord | null;
        try {
          decoded = decodeRecord(rec.key, rec.value);
        } catch (err) {
          if (!(err instanceof CoordinatorRecordError)) throw err;
          o.logger.error('skipping an unreadable __consumer_offsets record', { partition: o.partition, offset: batch.baseOffset + rec.offsetDelta, err: err.message });
          stats.skipped++;
          continue;
        }
        if (decoded === null) {
          stats.skipped++;
          continue;
        }
        if (transactional) {
          let held = pendingTxn.get(batch.producerId);
          if (held === undefined) pendingTxn.set(batch.producerId, (held = []));
          held.push(decoded);
        } else apply(decoded);
      }
    }
  }
  for (const [producerId, held] of pendingTxn) for (const r of held) o.replayPending?.(producerId, r);
  return stats;

  function apply(r: CoordinatorRecord): void {
    o.replay(r);
    stats.records++;
  }
}
