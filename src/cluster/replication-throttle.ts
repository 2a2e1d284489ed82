/**
 * Replication throttles, as Kafka's ReplicationQuotaManager applies them (KIP-73): a partition
 * replica listed in a topic's `leader.replication.throttled.replicas` (as `partition:broker`, or
 * `*` for all) is throttled on that broker when it leads; one listed in
 * `follower.replication.throttled.replicas` is throttled on that broker when it follows. Bytes
 * of throttled partitions are counted over a sliding window (`replication.quota.window.num`
 * samples of `replication.quota.window.size.seconds`); while their rate is above the broker's
 * `leader.replication.throttled.rate` / `follower.replication.throttled.rate`, throttled
 * partitions of replicas outside the ISR get no data (the leader sends none, the follower asks
 * for none). Replicas in the ISR are never throttled, so acks=all never waits on a throttle.
 */
import type { Clock } from '../platform/clock.js';

const LONG_MAX = 9223372036854775807;

/** Whether `value` (a throttled-replicas config) names `partition` on `brokerId`. */
export function listsReplica(value: string | undefined, partition: number, brokerId: number): boolean {
  if (value === undefined) return false;
  const v = value.trim();
  if (v === '') return false;
  if (v === '*') return true;
  const wanted = `${partition}:${brokerId}`;
  return v.split(',').some((entry) => entry.trim() === wanted);
}

export interface QuotaSettings {
  /** Bytes per second; LONG_MAX (Kafka's default) means unthrottled. */
  rate(): number;
  windowSamples(): number;
  sampleMs(): number;
}

/** One direction's byte rate over a sliding window of samples. */
export class ReplicationQuota {
  private readonly samples: Array<{ start: number; bytes: number }> = [];

  constructor(
    private readonly clock: Clock,
    private readonly settings: QuotaSettings,
  ) {}

  private trim(now: number): void {
    const windowMs = this.settings.windowSamples() * this.settings.sampleMs();
    while (this.samples.length > 0 && this.samples[0]!.start + windowMs <= now) this.samples.shift();
  }

  record(bytes: number): void {
    if (bytes <= 0) return;
    const now = this.clock.now();
    this.trim(now);
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && now - last.start < this.settings.sampleMs()) last.bytes += bytes;
    else this.samples.push({ start: now, bytes });
  }

  /** True when a rate is set (Kafka's default, LONG_MAX, is none): only then are bytes counted and checked. */
  limited(): boolean {
    return this.settings.rate() < LONG_MAX;
  }

  /** True while the measured rate is above the rate set (never when none is set). */
  exceeded(): boolean {
    const rate = this.settings.rate();
    if (!(rate < LONG_MAX)) return false;
    const now = this.clock.now();
    this.trim(now);
    if (this.samples.length === 0) return false;
    const bytes = this.samples.reduce((s, x) => s + x.bytes, 0);
    // Kafka's Rate: over the window's elapsed time, at least (samples - 1) whole samples.
    const elapsedMs = Math.max(now - this.samples[0]!.start, (this.settings.windowSamples() - 1) * this.settings.sampleMs());
    return (bytes * 1000) / Math.max(1, elapsedMs) > rate;
  }
}

/** The broker's two replication quotas, read from its keys in force at each use (they are dynamic). */
export class ReplicationThrottles {
  readonly leader: ReplicationQuota;
  readonly follower: ReplicationQuota;

  constructor(clock: Clock, keys: () => Readonly<Record<string, string>>) {
    const num = (key: string, dflt: number): number => {
      const n = Number(keys()[key]);
      return Number.isFinite(n) && n >= 0 ? n : dflt;
    };
    const windowSamples = (): number => Math.max(2, num('replication.quota.window.num', 11));
    const sampleMs = (): number => Math.max(1, num('replication.quota.window.size.seconds', 1)) * 1000;
    this.leader = new ReplicationQuota(clock, { rate: () => num('leader.replication.throttled.rate', LONG_MAX), windowSamples, sampleMs });
    this.follower = new ReplicationQuota(clock, { rate: () => num('follower.replication.throttled.rate', LONG_MAX), windowSamples, sampleMs });
  }
}
