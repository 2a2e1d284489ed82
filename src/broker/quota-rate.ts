/**
 * Kafka's quota arithmetic: a rate over a set of time-windowed samples (its `Rate` over a
 * `WindowedSum`, with the "at least N−1 full windows" rule) and the throttle time that brings an
 * observed rate back to its bound (`QuotaUtils.throttleTime`). Pure: every call takes the time, so
 * tests drive it with any clock.
 */
import { assert } from '../util/assert.js';

/** `quota.window.num` and `quota.window.size.seconds`: how many samples, each spanning how long. */
export interface RateWindows {
  samples: number;
  windowMs: number;
}

/** Kafka's defaults: 10 whole windows plus the current one, of a second each. */
export const KAFKA_RATE_WINDOWS: RateWindows = { samples: 11, windowMs: 1000 };

class Sample {
  value = 0;
  eventCount = 0;
  constructor(
    public startMs: number,
    public lastEventMs: number,
  ) {}

  reset(nowMs: number): void {
    this.value = 0;
    this.eventCount = 0;
    this.startMs = nowMs;
    this.lastEventMs = nowMs;
  }
}

/** A sum per second, over the last `samples` windows (Kafka keeps one extra for a sample overlapping the start). */
export class WindowedRate {
  private readonly samples: Sample[] = [];
  private current = 0;

  constructor(readonly windows: RateWindows) {
    assert(windows.samples >= 1 && windows.windowMs >= 1, 'a rate needs at least one window of at least 1 ms');
  }

  /** When a value was last recorded (for expiring idle rates). */
  get lastRecordMs(): number {
    return this.samples[this.current]?.lastEventMs ?? -Infinity;
  }

  record(value: number, nowMs: number): void {
    let sample = this.currentSample(nowMs);
    if (nowMs - sample.startMs >= this.windows.windowMs) sample = this.advance(nowMs);
    sample.value += value;
    sample.eventCount += 1;
    sample.lastEventMs = nowMs;
  }

  /** The rate per second at `nowMs`. */
  measure(nowMs: number): number {
    const windowMs = this.windowSizeMs(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total / (windowMs / 1000);
  }

  /**
   * The time the rate is taken over: from the oldest live sample to now, but never less than N−1
   * full windows (so a first burst is not measured as a huge rate), and at least 1 ms.
   */
  windowSizeMs(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let oldest = this.currentSample(nowMs);
    for (const s of this.samples) if (s.startMs < oldest.startMs) oldest = s;
    let elapsedMs = nowMs - oldest.startMs;
    const fullWindows = Math.floor(elapsedMs / this.windows.windowMs);
    const minFullWindows = this.windows.samples - 1;
    if (fullWindows < minFullWindows) elapsedMs += (minFullWindows - fullWindows) * this.windows.windowMs;
    return Math.max(elapsedMs, 1);
  }

  private currentSample(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push(new Sample(nowMs, nowMs));
    return this.samples[this.current]!;
  }

  private advance(nowMs: number): Sample {
    const maxSamples = this.windows.samples + 1;
    this.current = (this.current + 1) % maxSamples;
    if (this.current >= this.samples.length) {
      const s = new Sample(nowMs, nowMs);
      this.samples.push(s);
      return s;
    }
    const s = this.samples[this.current]!;
    s.reset(nowMs);
    return s;
  }

  /** Samples without an event within the whole monitored span start over (those overlapping it stay). */
  private purgeObsolete(nowMs: number): void {
    const expireAgeMs = this.windows.samples * this.windows.windowMs;
    for (const s of this.samples) if (nowMs - s.lastEventMs >= expireAgeMs) s.reset(nowMs);
  }
}

/**
 * Kafka's QuotaUtils.throttleTime: with observed rate O over window W and bound T, the delay X
 * with O·W / (W + X) = T, i.e. X = (O − T) / T · W, rounded to the millisecond.
 */
export function throttleTimeMs(observed: number, bound: number, windowMs: number): number {
  return Math.round(((observed - bound) / bound) * windowMs);
}

/**
 * Records `value` and checks the bound as Kafka's Sensor.record does: the throttle time when the
 * rate is now above `bound` (capped at `maxThrottleMs`), else 0.
 */
export function recordAndGetThrottleMs(rate: WindowedRate, value: number, bound: number, nowMs: number, maxThrottleMs = Infinity): number {
  rate.record(value, nowMs);
  const observed = rate.measure(nowMs);
  if (observed <= bound) return 0;
  return Math.min(throttleTimeMs(observed, bound, rate.windowSizeMs(nowMs)), maxThrottleMs);
}
