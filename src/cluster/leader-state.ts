/**
 * What a partition's leader knows about its followers (Kafka's Partition + Replica state): each
 * follower's log end offset as its fetches report it, when it was last caught up, and from those
 * the high watermark (the least log end offset among the in-sync replicas) and which followers
 * may join or must leave the ISR. Pure bookkeeping: the caller writes ISR changes to the store.
 */

export interface FollowerProgress {
  logEndOffset: number;
  /** When the follower last fetched from at or past the leader's log end (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpMs: number;
  /** The leader's log end at the follower's previous fetch, and when that fetch came. */
  lastFetchLeaderLogEnd: number;
  lastFetchMs: number;
}

export class LeaderState {
  readonly followers = new Map<number, FollowerProgress>();
  /**
   * An ISR change being written (set and cleared by its writer): no other change meanwhile. A
   * follower joining counts for the high watermark from the moment it is proposed (Kafka's
   * maximal ISR, KIP-497), so that nothing is acknowledged past its log end while the write is in
   * flight; once the write lands, the follower is in the ISR and may be elected.
   */
  pendingIsr: number[] | null = null;

  constructor(
    readonly nodeId: number,
    public leaderEpoch: number,
    public partitionEpoch: number,
    public replicas: number[],
    public isr: number[],
    nowMs: number,
  ) {
    for (const r of replicas) if (r !== nodeId) this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs: isr.includes(r) ? nowMs : 0, lastFetchLeaderLogEnd: -1, lastFetchMs: 0 });
  }

  /** Applies a newer state of the same leadership (ISR or replicas changed). */
  update(partitionEpoch: number, replicas: number[], isr: number[], nowMs: number): void {
    this.partitionEpoch = partitionEpoch;
    this.replicas = replicas;
    this.isr = isr;
    for (const r of replicas)
      if (r !== this.nodeId && !this.followers.has(r)) this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs: isr.includes(r) ? nowMs : 0, lastFetchLeaderLogEnd: -1, lastFetchMs: 0 });
    for (const r of [...this.followers.keys()]) if (!replicas.includes(r)) this.followers.delete(r);
  }

  /** Records a follower's fetch at `fetchOffset` (its log end) while the leader's log end is `leaderLogEnd`. */
  recordFetch(replicaId: number, fetchOffset: number, leaderLogEnd: number, nowMs: number): boolean {
    const f = this.followers.get(replicaId);
    if (f === undefined) return false;
    if (fetchOffset >= leaderLogEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, nowMs);
    else if (fetchOffset >= f.lastFetchLeaderLogEnd && f.lastFetchLeaderLogEnd >= 0) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEnd = leaderLogEnd;
    f.lastFetchMs = nowMs;
    return true;
  }

  /**
   * Kafka's maximal ISR: the ISR in the store plus the followers a pending expansion adds (a
   * pending shrink removes no one until it is written). The high watermark and acks=all wait
   * for all of them.
   */
  maximalIsr(): number[] {
    if (this.pendingIsr === null) return this.isr;
    const joining = this.pendingIsr.filter((r) => !this.isr.includes(r) && this.followers.has(r));
    return joining.length === 0 ? this.isr : [...this.isr, ...joining];
  }

  /** The least log end offset among the maximal ISR's replicas (the leader's own is `leaderLogEnd`). */
  highWatermark(leaderLogEnd: number): number {
    let hw = leaderLogEnd;
    for (const r of this.maximalIsr()) {
      if (r === this.nodeId) continue;
      const f = this.followers.get(r);
      hw = Math.min(hw, f === undefined || f.logEndOffset < 0 ? -1 : f.logEndOffset);
    }
    return hw;
  }

  /** In-sync followers that have not caught up for longer than `lagMaxMs` (Kafka's getOutOfSyncReplicas). */
  outOfSync(nowMs: number, lagMaxMs: number): number[] {
    return this.isr.filter((r) => r !== this.nodeId && nowMs - (this.followers.get(r)?.lastCaughtUpMs ?? 0) > lagMaxMs);
  }

  /** Followers out of the ISR whose log end reached the high watermark (and the current epoch's start): they may join. */
  caughtUp(highWatermark: number, epochStart: number, nowMs: number, lagMaxMs: number): number[] {
    const out: number[] = [];
    for (const [r, f] of this.followers) {
      if (this.isr.includes(r)) continue;
      if (f.logEndOffset >= highWatermark && f.logEndOffset >= epochStart && nowMs - f.lastCaughtUpMs <= lagMaxMs) out.push(r);
    }
    return out;
  }
}
