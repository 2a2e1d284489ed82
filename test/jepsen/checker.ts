/**
 * The checker of a Jepsen-style run: a pure function from what the clients saw (a history) to
 * the anomalies in it, by Kafka's guarantees.
 *
 *  - lost: an acknowledged idempotent write is missing from the final read (or stands at another
 *    offset than its acknowledgement said), or a record some consumer read is not there any more;
 *  - duplicate: one value at two offsets (values are unique, so any copy is a duplicate);
 *  - offset-order: one consumer's offsets in a partition did not strictly increase (between two
 *    rewinds it declared: a rebalance, a restart);
 *  - offset-conflict: two different values seen at one offset of one partition;
 *  - aborted-read: a read_committed reader returned a record of an aborted transaction;
 *  - partial-txn: a committed transaction not visible whole, or one of unknown outcome visible in
 *    part.
 *
 * The final read (read_committed, every partition from its start, after every fault is healed) is
 * the ground truth for what the log holds.
 */

/** One record as a reader returned it. */
export interface ReadRecord {
  partition: number;
  offset: number;
  value: string;
}

/** A write of the idempotent producer: acknowledged (at `offset` when known) or failed (unknown). */
export interface IdempotentWrite {
  value: string;
  partition: number;
  acked: boolean;
  offset?: number;
}

export type TxnOutcome = 'committed' | 'aborted' | 'unknown';

export interface Txn {
  id: number;
  /** Every record the transaction meant to write; only these values carry its id. */
  records: Array<{ partition: number; value: string }>;
  outcome: TxnOutcome;
}

/** A reader's observations in order; a `rewind` says its position may go back (rebalance, restart). */
export type ReadEvent = ReadRecord | { rewind: true; partition?: number };

export interface ConsumerHistory {
  name: string;
  readCommitted: boolean;
  events: ReadEvent[];
}

export interface History {
  writes: IdempotentWrite[];
  txns: Txn[];
  consumers: ConsumerHistory[];
  /** Every partition read from its start to its end, read_committed, after the faults. */
  final: ReadRecord[];
}

export type AnomalyKind = 'lost' | 'duplicate' | 'offset-order' | 'offset-conflict' | 'aborted-read' | 'partial-txn';
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['lost', 'duplicate', 'offset-order', 'offset-conflict', 'aborted-read', 'partial-txn'];

export interface Anomaly {
  kind: AnomalyKind;
  /** A sentence with the evidence: values, partitions, offsets, who saw it. */
  detail: string;
}

export interface CheckResult {
  anomalies: Anomaly[];
  /** What was checked, so a run that checked nothing cannot pass unnoticed. */
  counts: {
    ackedWrites: number;
    failedWrites: number;
    txnsCommitted: number;
    txnsAborted: number;
    txnsUnknown: number;
    recordsRead: number;
    finalRecords: number;
  };
}

/** At most this many anomalies of one kind are kept with their evidence; the rest are counted. */
export const EXAMPLES_PER_KIND_MAX = 20;

const key = (partition: number, offset: number): string => `${partition}@${offset}`;

export function check(h: History): CheckResult {
  const anomalies: Anomaly[] = [];
  const report = (kind: AnomalyKind, detail: string): void => {
    anomalies.push({ kind, detail });
  };

  // The final read: where each value is, and each offset's value.
  const finalAt = new Map<string, string>();
  const finalOf = new Map<string, ReadRecord>();
  for (const r of h.final) {
    const k = key(r.partition, r.offset);
    const other = finalAt.get(k);
    if (other !== undefined && other !== r.value) report('offset-conflict', `the final read has ${JSON.stringify(other)} and ${JSON.stringify(r.value)} at partition ${r.partition} offset ${r.offset}`);
    if (other === undefined) finalAt.set(k, r.value);
    const first = finalOf.get(r.value);
    if (first !== undefined && (first.partition !== r.partition || first.offset !== r.offset)) {
      report('duplicate', `${JSON.stringify(r.value)} is in the log at partition ${first.partition} offset ${first.offset} and at partition ${r.partition} offset ${r.offset}`);
    } else if (first === undefined) finalOf.set(r.value, r);
  }

  // Acknowledged writes are there, at the offset acknowledged.
  for (const w of h.writes) {
    if (!w.acked) continue;
    const found = finalOf.get(w.value);
    const at = w.offset === undefined ? `partition ${w.partition}` : `partition ${w.partition} offset ${w.offset}`;
    if (found === undefined) report('lost', `acknowledged write ${JSON.stringify(w.value)} (${at}) is not in the final read`);
    else if (found.partition !== w.partition || (w.offset !== undefined && found.offset !== w.offset)) {
      report('lost', `acknowledged write ${JSON.stringify(w.value)} (${at}) is at partition ${found.partition} offset ${found.offset} instead`);
    }
  }

  // Transactions: committed whole, aborted never read committed, unknown all or nothing.
  const txnOf = new Map<string, Txn>();
  for (const t of h.txns) for (const r of t.records) txnOf.set(r.value, t);
  for (const t of h.txns) {
    const visible = t.records.filter((r) => finalOf.has(r.value));
    const missing = t.records.filter((r) => !finalOf.has(r.value));
    const wrongPartition = visible.filter((r) => finalOf.get(r.value)!.partition !== r.partition);
    for (const r of wrongPartition) report('partial-txn', `transaction ${t.id}'s ${JSON.stringify(r.value)} was written to partition ${r.partition} but read from partition ${finalOf.get(r.value)!.partition}`);
    if (t.outcome === 'committed' && missing.length > 0) {
      report('partial-txn', `committed transaction ${t.id} is missing ${missing.length} of its ${t.records.length} records from the final read (${missing.slice(0, 3).map((r) => `${JSON.stringify(r.value)} in partition ${r.partition}`).join(', ')})`);
    } else if (t.outcome === 'unknown' && visible.length > 0 && missing.length > 0) {
      report('partial-txn', `transaction ${t.id} of unknown outcome is visible in part: ${visible.length} of ${t.records.length} records (missing ${missing.slice(0, 3).map((r) => JSON.stringify(r.value)).join(', ')})`);
    } else if (t.outcome === 'aborted' && visible.length > 0) {
      report('aborted-read', `the final read_committed read returned ${visible.length} records of aborted transaction ${t.id} (${visible.slice(0, 3).map((r) => `${JSON.stringify(r.value)} at partition ${finalOf.get(r.value)!.partition} offset ${finalOf.get(r.value)!.offset}`).join(', ')})`);
    }
  }

  // Every consumer's observations: in order, agreeing with each other and with the log.
  const seenAt = new Map<string, { value: string; by: string }>([...finalAt].map(([k, v]) => [k, { value: v, by: 'the final read' }]));
  let recordsRead = 0;
  for (const c of h.consumers) {
    const last = new Map<number, number>();
    const abortedSeen = new Set<number>();
    for (const e of c.events) {
      if ('rewind' in e) {
        if (e.partition === undefined) last.clear();
        else last.delete(e.partition);
        continue;
      }
      recordsRead++;
      const prev = last.get(e.partition);
      if (prev !== undefined && e.offset <= prev) report('offset-order', `${c.name} read partition ${e.partition} offset ${e.offset} (${JSON.stringify(e.value)}) after offset ${prev} with no rewind between`);
      last.set(e.partition, e.offset);
      const k = key(e.partition, e.offset);
      const other = seenAt.get(k);
      if (other === undefined) seenAt.set(k, { value: e.value, by: c.name });
      else if (other.value !== e.value) report('offset-conflict', `${c.name} read ${JSON.stringify(e.value)} at partition ${e.partition} offset ${e.offset}, where ${other.by} read ${JSON.stringify(other.value)}`);
      const inLog = finalOf.get(e.value);
      if (inLog === undefined && !finalAt.has(k) && c.readCommitted) {
        const t = txnOf.get(e.value);
        // An aborted transaction's record is reported once as an aborted read, not also as lost.
        if (t?.outcome !== 'aborted') report('lost', `${c.name} read ${JSON.stringify(e.value)} at partition ${e.partition} offset ${e.offset}, which the final read does not have`);
      } else if (inLog !== undefined && (inLog.partition !== e.partition || inLog.offset !== e.offset)) {
        report('duplicate', `${c.name} read ${JSON.stringify(e.value)} at partition ${e.partition} offset ${e.offset}; the log has it at partition ${inLog.partition} offset ${inLog.offset}`);
      }
      const t = txnOf.get(e.value);
      if (c.readCommitted && t?.outcome === 'aborted' && !abortedSeen.has(t.id)) {
        abortedSeen.add(t.id);
        report('aborted-read', `${c.name} (read_committed) read ${JSON.stringify(e.value)} of aborted transaction ${t.id} at partition ${e.partition} offset ${e.offset}`);
      }
    }
  }

  return {
    anomalies: capPerKind(anomalies),
    counts: {
      ackedWrites: h.writes.filter((w) => w.acked).length,
      failedWrites: h.writes.filter((w) => !w.acked).length,
      txnsCommitted: h.txns.filter((t) => t.outcome === 'committed').length,
      txnsAborted: h.txns.filter((t) => t.outcome === 'aborted').length,
      txnsUnknown: h.txns.filter((t) => t.outcome === 'unknown').length,
      recordsRead,
      finalRecords: h.final.length,
    },
  };
}

/** Keeps the first examples of each kind and one line saying how many more there were. */
function capPerKind(all: Anomaly[]): Anomaly[] {
  const out: Anomaly[] = [];
  for (const kind of ANOMALY_KINDS) {
    const of = all.filter((a) => a.kind === kind);
    out.push(...of.slice(0, EXAMPLES_PER_KIND_MAX));
    if (of.length > EXAMPLES_PER_KIND_MAX) out.push({ kind, detail: `… and ${of.length - EXAMPLES_PER_KIND_MAX} more of this kind` });
  }
  return out;
}

/** How many anomalies of each kind (the capped lines count for what they stand for). */
export function countByKind(anomalies: Anomaly[]): Record<AnomalyKind, number> {
  const n = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, 0])) as Record<AnomalyKind, number>;
  for (const a of anomalies) {
    const more = /^… and (\d+) more/.exec(a.detail);
    n[a.kind] += more === null ? 1 : Number(more[1]);
  }
  return n;
}
